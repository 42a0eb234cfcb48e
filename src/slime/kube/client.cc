#include "slime/kube/client.h"

#include <chrono>
#include <ctime>
#include <random>

#include "slime/core/json_depth.h"

namespace slime::kube {
namespace {

using core::Json;
using core::Object;

// Content negotiation for metadata-only reads; plain JSON after the comma keeps servers that do not know
// the transformation (and aggregated APIs) answering with whole objects.
constexpr const char* kPartialMetadata = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
constexpr const char* kPartialMetadataList =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

std::string url_escape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string append_query(std::string path, const std::string& key, const std::string& value) {
  path += path.find('?') == std::string::npos ? '?' : '&';
  return path + key + "=" + url_escape(value);
}

bool ok(long code) { return code >= 200 && code < 300; }

ApiResult<Object> parse_object(const std::string& body) {
  auto doc = core::parse_untrusted_json(body);
  if (doc.is_discarded()) return api_fail(0, "BadResponse", "response is not JSON (or nests deeper than 256 levels)");
  auto obj = Object::from_json(std::move(doc));
  if (!obj) return api_fail(0, "BadResponse", "response is not an object: " + obj.error().str());
  return *obj;
}

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void RequestStats::add(const std::string& verb, long code) {
  std::lock_guard lock(mu_);
  ++counts_[{verb, code}];
}

std::map<std::pair<std::string, long>, uint64_t> RequestStats::snapshot() const {
  std::lock_guard lock(mu_);
  return counts_;
}

uint64_t RequestStats::total() const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (auto& [k, v] : counts_) n += v;
  return n;
}

Client::Client(ClusterConfig config, double qps, int burst)
    : http_(std::move(config)), discovery_(http_), limiter_(qps, burst) {}

ApiResult<std::string> Client::path_for(const core::Gvk& gvk, const std::string& ns, const std::string& name) {
  auto info = discovery_.resolve(gvk);
  if (!info) return std::unexpected(info.error());
  std::string p = group_version_path(gvk);
  if (info->namespaced && !ns.empty()) p += "/namespaces/" + url_escape(ns);
  p += "/" + info->plural;
  if (!name.empty()) p += "/" + url_escape(name);
  return p;
}

ApiResult<HttpResponse> Client::call(const std::string& verb, HttpRequest req) {
  limiter_.wait();
  auto resp = http_.perform(req);
  stats_.add(verb, resp ? resp->status : 0);
  return resp;
}

ApiResult<Object> Client::object_call(const std::string& verb, HttpRequest req) {
  auto resp = call(verb, std::move(req));
  if (!resp) return std::unexpected(resp.error());
  if (!ok(resp->status)) return std::unexpected(api_error_from_response(resp->status, resp->body));
  return parse_object(resp->body);
}

ApiResult<Object> Client::get(const core::Gvk& gvk, const std::string& ns, const std::string& name) {
  auto p = path_for(gvk, ns, name);
  if (!p) return std::unexpected(p.error());
  return object_call("GET", {"GET", *p});
}

ApiResult<ListResult> Client::list(const core::Gvk& gvk, const ListOptions& opts) {
  auto base = path_for(gvk, opts.ns);
  if (!base) return std::unexpected(base.error());
  ListResult out;
  std::string cont;
  do {
    std::string p = *base;
    if (!opts.label_selector.empty()) p = append_query(p, "labelSelector", opts.label_selector);
    if (!opts.field_selector.empty()) p = append_query(p, "fieldSelector", opts.field_selector);
    if (opts.page_size > 0) p = append_query(p, "limit", std::to_string(opts.page_size));
    if (!cont.empty()) p = append_query(p, "continue", cont);
    HttpRequest req{"GET", p};
    if (opts.metadata_only) req.accept = kPartialMetadataList;
    auto resp = call("LIST", std::move(req));
    if (!resp) return std::unexpected(resp.error());
    if (!ok(resp->status)) return std::unexpected(api_error_from_response(resp->status, resp->body));
    auto doc = core::parse_untrusted_json(resp->body);
    if (!doc.is_object()) return api_fail(0, "BadResponse", "list response is not a JSON object (or nests deeper than 256 levels)");
    cont.clear();
    if (auto m = doc.find("metadata"); m != doc.end() && m->is_object()) {
      if (auto c = m->find("continue"); c != m->end() && c->is_string()) cont = c->get<std::string>();
      if (auto rv = m->find("resourceVersion"); rv != m->end() && rv->is_string())
        out.resource_version = rv->get<std::string>();
    }
    if (auto items = doc.find("items"); items != doc.end() && items->is_array()) {
      for (auto& item : *items) {
        // Lists omit apiVersion/kind on items; restore them so every object is self-describing.
        if (item.is_object()) {
          item["apiVersion"] = gvk.api_version();
          item["kind"] = gvk.kind;
        }
        auto obj = Object::from_json(std::move(item));
        if (!obj) continue;
        if (opts.each) opts.each(*obj);
        out.items.push_back(std::move(*obj));
      }
    }
  } while (!cont.empty());
  return out;
}

ApiResult<Object> Client::create(const Object& obj) {
  auto p = path_for(obj.gvk(), obj.ns());
  if (!p) return std::unexpected(p.error());
  return object_call("POST", {"POST", *p, obj.json().dump()});
}

ApiResult<Object> Client::update(const Object& obj) {
  auto p = path_for(obj.gvk(), obj.ns(), obj.name());
  if (!p) return std::unexpected(p.error());
  return object_call("PUT", {"PUT", *p, obj.json().dump()});
}

ApiResult<Object> Client::update_status(const Object& obj) {
  auto p = path_for(obj.gvk(), obj.ns(), obj.name());
  if (!p) return std::unexpected(p.error());
  return object_call("PUT", {"PUT", *p + "/status", obj.json().dump()});
}

ApiResult<void> Client::remove(const core::Gvk& gvk, const std::string& ns, const std::string& name,
                               const std::string& propagation) {
  auto p = path_for(gvk, ns, name);
  if (!p) return std::unexpected(p.error());
  Json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"propagationPolicy", propagation}};
  auto resp = call("DELETE", {"DELETE", *p, body.dump()});
  if (!resp) return std::unexpected(resp.error());
  if (!ok(resp->status)) return std::unexpected(api_error_from_response(resp->status, resp->body));
  return {};
}

ApiResult<Object> Client::apply(const Object& obj, bool force, const std::string& field_manager) {
  auto p = path_for(obj.gvk(), obj.ns(), obj.name());
  if (!p) return std::unexpected(p.error());
  std::string path = append_query(*p, "fieldManager", field_manager);
  if (force) path = append_query(path, "force", "true");
  // JSON is YAML, so the apply-patch+yaml content type takes the document as is.
  return object_call("APPLY", {"PATCH", path, obj.json().dump(),
                               "application/apply-patch+yaml"});
}

ApiResult<Object> Client::apply_status(const Object& obj, bool force, const std::string& field_manager) {
  auto p = path_for(obj.gvk(), obj.ns(), obj.name());
  if (!p) return std::unexpected(p.error());
  std::string path = append_query(*p + "/status", "fieldManager", field_manager);
  if (force) path = append_query(path, "force", "true");
  return object_call("APPLY", {"PATCH", path, obj.json().dump(),
                               "application/apply-patch+yaml"});
}

ApiResult<Object> Client::merge_patch(const core::Gvk& gvk, const std::string& ns, const std::string& name,
                                      const Json& patch, bool status) {
  auto p = path_for(gvk, ns, name);
  if (!p) return std::unexpected(p.error());
  return object_call("PATCH", {"PATCH", *p + (status ? "/status" : ""), patch.dump(),
                               "application/merge-patch+json"});
}

ApiResult<std::string> Client::watch(const core::Gvk& gvk, const ListOptions& opts,
                                     const std::string& resource_version,
                                     const std::function<bool(WatchEvent&)>& on_event,
                                     const std::atomic<bool>* cancel, int timeout_seconds) {
  auto base = path_for(gvk, opts.ns);
  if (!base) return std::unexpected(base.error());
  std::string p = append_query(*base, "watch", "true");
  p = append_query(p, "allowWatchBookmarks", "true");
  p = append_query(p, "timeoutSeconds", std::to_string(timeout_seconds));
  if (!resource_version.empty()) p = append_query(p, "resourceVersion", resource_version);
  if (!opts.label_selector.empty()) p = append_query(p, "labelSelector", opts.label_selector);
  if (!opts.field_selector.empty()) p = append_query(p, "fieldSelector", opts.field_selector);

  std::string last_rv = resource_version;
  std::string pending;  // a partial line between chunks
  std::optional<ApiError> stream_error;
  bool stopped = false;
  auto handle_line = [&](std::string_view line) -> bool {
    if (line.empty()) return true;
    auto ev = core::parse_untrusted_json(line);
    if (!ev.is_object() || !ev.contains("type") || !ev["type"].is_string()) return true;  // skip garbage
    const std::string type = ev["type"].get<std::string>();
    Json obj;
    if (auto it = ev.find("object"); it != ev.end()) obj = std::move(*it);  // no copy of a large object
    if (type == "ERROR") {
      // A metav1.Status inside the stream; 410 here means our resourceVersion was compacted.
      long code = obj.is_object() && obj.contains("code") && obj["code"].is_number() ? obj["code"].get<long>() : 500;
      stream_error = api_error_from_response(code, obj.dump());
      return false;
    }
    if (obj.is_object()) {
      obj["apiVersion"] = gvk.api_version();
      if (!obj.contains("kind") || opts.metadata_only) obj["kind"] = gvk.kind;
    }
    // Bookmarks carry only metadata.resourceVersion; anything else broken is skipped.
    std::string bookmark_rv;
    if (type == "BOOKMARK" && obj.is_object() && obj.contains("metadata")) {
      auto& m = obj["metadata"];
      if (m.is_object() && m.contains("resourceVersion") && m["resourceVersion"].is_string())
        bookmark_rv = m["resourceVersion"].get<std::string>();
    }
    auto o = Object::from_json(std::move(obj));
    if (!o) {
      if (!bookmark_rv.empty()) last_rv = bookmark_rv;
      return true;
    }
    if (!o->resource_version().empty()) last_rv = o->resource_version();
    WatchEventType t;
    if (type == "ADDED") t = WatchEventType::kAdded;
    else if (type == "MODIFIED") t = WatchEventType::kModified;
    else if (type == "DELETED") t = WatchEventType::kDeleted;
    else if (type == "BOOKMARK") t = WatchEventType::kBookmark;
    else return true;
    WatchEvent event{t, std::move(*o)};
    if (!on_event(event)) {
      stopped = true;
      return false;
    }
    return true;
  };
  auto on_data = [&](std::string_view chunk) -> bool {
    pending.append(chunk);
    size_t start = 0;
    for (;;) {
      size_t nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      if (!handle_line(std::string_view(pending).substr(start, nl - start))) return false;
      start = nl + 1;
    }
    pending.erase(0, start);
    return true;
  };

  limiter_.wait();
  HttpRequest req{"GET", p, {}, {}, 0};
  if (opts.metadata_only) req.accept = kPartialMetadata;
  auto resp = http_.stream(req, on_data, cancel);
  stats_.add("WATCH", resp ? resp->status : 0);
  if (stream_error) return std::unexpected(*stream_error);
  if (!resp) return std::unexpected(resp.error());
  if (!ok(resp->status)) return std::unexpected(api_error_from_response(resp->status, resp->body));
  (void)stopped;
  return last_rv;
}

ApiResult<void> Client::record_event(const Object& regarding, const std::string& type, const std::string& reason,
                                     const std::string& message) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string ns = regarding.ns().empty() ? "default" : regarding.ns();
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
  std::string ts = now_rfc3339();
  Json ev = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", regarding.name() + "." + suffix}, {"namespace", ns}}},
      {"involvedObject",
       {{"apiVersion", regarding.api_version()},
        {"kind", regarding.kind()},
        {"name", regarding.name()},
        {"namespace", regarding.ns()},
        {"uid", regarding.uid()},
        {"resourceVersion", regarding.resource_version()}}},
      {"type", type},
      {"reason", reason},
      {"message", message.substr(0, 1024)},
      {"source", {{"component", "slime"}}},
      {"firstTimestamp", ts},
      {"lastTimestamp", ts},
      {"count", 1},
      {"reportingComponent", "slime"},
  };
  auto created = create(Object(std::move(ev)));
  if (!created) return std::unexpected(created.error());
  return {};
}

}  // namespace slime::kube

#include "slime/modules/limiter/envoy_filter.h"

#include <algorithm>

#include "slime/modules/limiter/json_build.h"

namespace slime::limiter {
namespace {

using core::Json;

constexpr const char* kTypedStruct = "type.googleapis.com/udpa.type.v1.TypedStruct";
constexpr const char* kLocalRateLimitType = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
constexpr const char* kRateLimitType = "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit";
constexpr const char* kJsonToMetadataType =
    "type.googleapis.com/envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata";
constexpr const char* kLocalFilter = "envoy.filters.http.local_ratelimit";
constexpr const char* kGlobalFilter = "envoy.filters.http.ratelimit";
constexpr const char* kJsonToMetadataFilter = "envoy.filters.http.json_to_metadata";
// Where JsonBodyMatch fields land in dynamic metadata for the rate-limit `metadata` action.
constexpr const char* kBodyMetadataNamespace = "slime.limiter.body";

// A descriptor of the set with what the patches need from it, computed once.
struct Entry {
  const WrappedDescriptor* d = nullptr;
  uint32_t id = 0;
  std::string value;                // Service[<name>.<ns>]-Id[<id>]
  std::vector<RouteConfig> routes;  // where it applies
};

struct Keyed {
  const RouteConfig* key = nullptr;
  std::vector<const Entry*> entries;
};

// Groups (entry, route config) pairs by route config in first-seen order. A set has few route configs:
// a linear search beats an index.
std::vector<Keyed> group_by_route(const std::vector<const Entry*>& entries) {
  std::vector<Keyed> groups;
  for (const Entry* e : entries) {
    for (const RouteConfig& rc : e->routes) {
      auto it = std::find_if(groups.begin(), groups.end(), [&](const Keyed& g) { return *g.key == rc; });
      if (it == groups.end()) it = groups.insert(groups.end(), Keyed{&rc, {}});
      it->entries.push_back(e);
    }
  }
  return groups;
}

Json with_proxy(JsonObject match, const LimiterConfig& config) {
  if (!config.proxy_version.empty()) match.set("proxy", object().set("proxyVersion", config.proxy_version));
  return match.take();
}

Json route_match(const RouteConfig& rc, const LimiterConfig& config) {
  JsonObject vhost;
  if (!rc.vhost.empty()) vhost.set("name", rc.vhost);
  if (!rc.route.empty()) vhost.set("route", object().set("name", rc.route));
  return with_proxy(object().set("context", rc.context).set("routeConfiguration", object().set("vhost", std::move(vhost))),
                    config);
}

const char* apply_to(const RouteConfig& rc) { return rc.route.empty() ? "VIRTUAL_HOST" : "HTTP_ROUTE"; }

Json filter_match(std::string_view context, const LimiterConfig& config) {
  const char* hcm = config.legacy_filter_names ? "envoy.http_connection_manager" : "envoy.filters.network.http_connection_manager";
  const char* router = config.legacy_filter_names ? "envoy.router" : "envoy.filters.http.router";
  return with_proxy(
      object().set("context", context).set(
          "listener",
          object().set("filterChain",
                       object().set("filter", object().set("name", hcm).set("subFilter", object().set("name", router))))),
      config);
}

Json typed_struct(const char* type_url, Json value) {
  return object().set("@type", kTypedStruct).set("type_url", type_url).set("value", std::move(value));
}

Json patch(const char* apply, Json match, const char* operation, Json value) {
  return object()
      .set("applyTo", apply)
      .set("match", std::move(match))
      .set("patch", object().set("operation", operation).set("value", std::move(value)));
}

struct Kinds {
  std::vector<const Matcher*> query, header, ip, body;
  const Matcher* separate = nullptr;
};

Kinds classify(const WrappedDescriptor& d) {
  Kinds k;
  for (const auto& m : d.match) {
    switch (m.source) {
      case MatchSource::kSourceIp: k.ip.push_back(&m); break;
      case MatchSource::kJsonBody: k.body.push_back(&m); break;
      case MatchSource::kQuery: k.query.push_back(&m); break;
      case MatchSource::kHead:
        if (m.use_query_match) k.query.push_back(&m);
        else {
          k.header.push_back(&m);
          if (m.present_match_separate && !k.separate) k.separate = &m;
        }
        break;
    }
  }
  return k;
}

Json regex(const std::string& r) { return object().set("google_re2", Json::object()).set("regex", r); }

Json header_matcher(const Matcher& m) {
  Json h(Json::value_t::object);
  h["name"] = m.name;
  if (m.invert_match) h["invert_match"] = true;
  if (!m.regex_match.empty()) h["safe_regex_match"] = regex(m.regex_match);
  else if (!m.exact_match.empty()) h["exact_match"] = m.exact_match;
  else if (!m.prefix_match.empty()) h["prefix_match"] = m.prefix_match;
  else if (!m.suffix_match.empty()) h["suffix_match"] = m.suffix_match;
  else if (m.is_exact_match_empty) h["exact_match"] = "";
  else if (m.present_match) h["present_match"] = true;
  return h;
}

Json query_matcher(const Matcher& m) {
  Json s = Json::object();
  if (!m.regex_match.empty()) s["safe_regex"] = regex(m.regex_match);
  else if (!m.exact_match.empty()) s["exact"] = m.exact_match;
  else if (!m.prefix_match.empty()) s["prefix"] = m.prefix_match;
  else if (!m.suffix_match.empty()) s["suffix"] = m.suffix_match;
  return object().set("name", m.name).set("string_match", std::move(s));
}

std::string request_header_key(std::string_view ns, std::string_view name, uint32_t id) {
  return "RequestHeader[" + std::string(name) + "." + std::string(ns) + "]-Id[" + std::to_string(id) + "]";
}

Json generic_key(const std::string& value) {
  return object().set("generic_key", object().set("descriptor_value", value));
}

// The route actions of one descriptor (§3.3); the entries of §3.4/§3.5 follow the same order.
Json actions(const WrappedDescriptor& d, const std::string& value, std::string_view ns, std::string_view name, uint32_t id) {
  Json out = Json::array();
  if (!d.custom_key.empty()) return out;  // the user brings their own action
  if (d.match.empty()) {
    out.push_back(generic_key(value));
    return out;
  }
  Kinds k = classify(d);
  if (k.separate) {
    out.push_back(generic_key(value));
    out.push_back(object().set("request_headers",
                               object().set("header_name", k.separate->name).set("descriptor_key", request_header_key(ns, name, id))));
    return out;
  }
  if (!k.query.empty()) {
    Json params = Json::array();
    for (auto* m : k.query) params.push_back(query_matcher(*m));
    out.push_back(object().set("query_parameter_value_match",
                               object().set("descriptor_value", value).set("query_parameters", std::move(params))));
  }
  if (!k.header.empty()) {
    Json headers = Json::array();
    for (auto* m : k.header) headers.push_back(header_matcher(*m));
    out.push_back(object().set("header_value_match",
                               object().set("descriptor_value", value).set("headers", std::move(headers))));
  }
  bool generic = false;
  if (!k.ip.empty()) {
    if (d.action.global()) {
      out.push_back(generic_key(value));
      generic = true;
    }
    out.push_back(object().set("remote_address", Json::object()));
  }
  if (!k.body.empty()) {
    // Stock Envoy form: json_to_metadata puts the field into dynamic metadata, a metadata action reads it.
    if (!generic) out.push_back(generic_key(value));
    for (auto* m : k.body)
      out.push_back(object().set(
          "metadata", object()
                          .set("descriptor_key", "body_match")
                          .set("metadata_key", object().set("key", kBodyMetadataNamespace).set("path", array(object().set("key", m->name))))
                          .set("source", "DYNAMIC")
                          .set("skip_if_absent", true)));
  }
  return out;
}

// Local descriptor entries (§3.4), in the order of actions().
Json local_entries(const WrappedDescriptor& d, const std::string& value) {
  Json out = Json::array();
  auto entry = [&](const std::string& k, const std::string& v) { out.push_back(object().set("key", k).set("value", v)); };
  if (!d.custom_key.empty()) {
    entry(d.custom_key, d.custom_value);
    return out;
  }
  if (d.match.empty()) {
    entry("generic_key", value);
    return out;
  }
  Kinds k = classify(d);
  if (!k.query.empty()) entry("query_match", value);
  if (!k.header.empty()) entry("header_match", value);
  if (!k.ip.empty()) entry("remote_address", k.ip.front()->exact_match);
  if (!k.body.empty()) {
    entry("generic_key", value);
    for (auto* m : k.body) entry("body_match", m->exact_match);
  }
  return out;
}

Json token_bucket(uint64_t quota, std::string interval) {
  return object().set("maxTokens", quota).set("tokensPerFill", quota).set("fillInterval", std::move(interval));
}

Json runtime_percent(const char* key) {
  return object().set("runtimeKey", key).set("defaultValue", object().set("numerator", 100));
}

// The parts of every local rate-limit patch that never change, built once: copying a tree is cheaper than
// building it key by key.
struct LocalConstants {
  Json filter_value = object().set("name", kLocalFilter).set(
      "typed_config", typed_struct(kLocalRateLimitType, object().set("statPrefix", "http_local_rate_limiter")));
  Json bucket = token_bucket(100000, "1s");
  Json enabled = runtime_percent("local_rate_limit_enabled");
  Json enforced = runtime_percent("local_rate_limit_enforced");
};

const LocalConstants& local_constants() {
  static const LocalConstants constants;
  return constants;
}

std::vector<std::string_view> contexts_of(const std::vector<Keyed>& groups) {
  std::vector<std::string_view> out;
  for (const auto& g : groups)
    if (std::find(out.begin(), out.end(), g.key->context) == out.end()) out.push_back(g.key->context);
  return out;
}

}  // namespace

std::string duration_string(const Duration& d) {
  std::string s = std::to_string(d.seconds);
  if (d.nanos != 0) {
    std::string n = std::to_string(d.nanos);
    n.insert(0, 9 - n.size(), '0');
    if (d.nanos % 1000000 == 0) n.resize(3);
    else if (d.nanos % 1000 == 0) n.resize(6);
    s += "." + n;
  }
  return s + "s";
}

std::vector<RouteConfig> route_configs(const Target& t, bool gateway) {
  std::vector<RouteConfig> out;
  std::string port = t.port != 0 ? ":" + std::to_string(t.port) : "";
  std::string context = gateway ? "GATEWAY" : "SIDECAR_OUTBOUND";
  if (t.outbound() && !t.route.empty()) {
    for (const auto& r : t.route) {
      auto slash = r.find('/');
      if (slash == std::string::npos || r.find('/', slash + 1) != std::string::npos) continue;
      out.push_back({context, r.substr(0, slash) + port, r.substr(slash + 1)});
    }
    return out;
  }
  if (t.outbound() && !t.host.empty()) {
    for (const auto& h : t.host) out.push_back({context, h + port, ""});
    return out;
  }
  out.push_back({"SIDECAR_INBOUND", t.port != 0 ? "inbound|http|" + std::to_string(t.port) : "", "default"});
  return out;
}

std::string descriptor_value(const WrappedDescriptor& d, std::string_view ns, std::string_view name) {
  return "Service[" + std::string(name) + "." + std::string(ns) + "]-Id[" + std::to_string(descriptor_id(d, ns, name)) + "]";
}

Json envoy_filter_spec(const Evaluation& ev, const EvaluatedSet& set, const LimiterConfig& config,
                       std::vector<core::Error>& problems) {
  std::vector<Entry> entries(set.descriptors.size());
  std::vector<const Entry*> all, global, local, body;
  all.reserve(entries.size());
  size_t i = 0;
  for (const auto& d : set.descriptors) {
    Entry& e = entries[i++];
    e.d = &d;
    e.id = descriptor_id(d, ev.ns, ev.name);
    e.value = "Service[" + ev.name + "." + ev.ns + "]-Id[" + std::to_string(e.id) + "]";
    e.routes = route_configs(d.effective_target, ev.spec.gateway);
    all.push_back(&e);
    (d.action.global() ? global : local).push_back(&e);
    if (std::any_of(d.match.begin(), d.match.end(), [](const Matcher& m) { return m.source == MatchSource::kJsonBody; }))
      body.push_back(&e);
  }

  Json patches = Json::array();
  // 1. Route rate_limits, one patch per route config.
  for (const auto& g : group_by_route(all)) {
    Json rate_limits = Json::array();
    for (const Entry* e : g.entries) {
      Json a = actions(*e->d, e->value, ev.ns, ev.name, e->id);
      if (!a.empty()) rate_limits.push_back(object().set("actions", std::move(a)));
    }
    if (rate_limits.empty()) continue;
    Json value = g.key->route.empty() ? Json(object().set("rate_limits", std::move(rate_limits)))
                                      : Json(object().set("route", object().set("rate_limits", std::move(rate_limits))));
    patches.push_back(patch(apply_to(*g.key), route_match(*g.key, config), "MERGE", std::move(value)));
  }
  // JsonBodyMatch: lift the body fields into dynamic metadata, first in the chain so that either
  // rate-limit filter sees them.
  if (!body.empty()) {
    std::vector<std::string> fields;
    for (const Entry* e : body)
      for (const auto& m : e->d->match)
        if (m.source == MatchSource::kJsonBody && std::find(fields.begin(), fields.end(), m.name) == fields.end())
          fields.push_back(m.name);
    Json rules = Json::array();
    for (const auto& f : fields)
      rules.push_back(object()
                          .set("selectors", array(object().set("key", f)))
                          .set("on_present", object().set("metadata_namespace", kBodyMetadataNamespace).set("key", f).set("type", "STRING")));
    for (const auto& context : contexts_of(group_by_route(body)))
      patches.push_back(patch("HTTP_FILTER", filter_match(context, config), "INSERT_FIRST",
                              object()
                                  .set("name", kJsonToMetadataFilter)
                                  .set("typed_config", typed_struct(kJsonToMetadataType, object().set("request_rules", object().set("rules", rules))))));
  }
  // 2. Global: the ratelimit filter and the optional per-route placeholders.
  if (config.global_enabled() && !global.empty()) {
    auto groups = group_by_route(global);
    if (!config.disable_insert_global_rate_limit) {
      std::string cluster = config.rls_cluster();
      if (cluster.empty()) {
        core::Error e;
        e.object = std::string(kKind) + " " + ev.ns + "/" + ev.name;
        e.field = "spec.sets." + set.name;
        e.message = "strategy global needs the module's rls {service, port}; the ratelimit filter is not inserted";
        problems.push_back(std::move(e));
      } else {
        for (const auto& context : contexts_of(groups)) {
          Json value = object().set("domain", config.domain).set(
              "rate_limit_service",
              object()
                  .set("grpcService", object().set("envoyGrpc", object().set("clusterName", cluster)))
                  .set("transportApiVersion", "V3"));
          patches.push_back(patch("HTTP_FILTER", filter_match(context, config), "INSERT_BEFORE",
                                  object().set("name", kGlobalFilter).set("typed_config", typed_struct(kRateLimitType, std::move(value)))));
        }
      }
    }
    if (config.enable_ratelimit_placeholder_in_route) {
      for (const auto& g : groups) {
        Json placeholder = object()
                               .set("@type", "type.googleapis.com/envoy.config.route.v3.FilterConfig")
                               .set("config", object().set("@type", "type.googleapis.com/google.protobuf.Empty").set("value", Json::object()))
                               .set("is_optional", true);
        patches.push_back(patch(apply_to(*g.key), route_match(*g.key, config), "MERGE",
                                object().set("typed_per_filter_config", object().set(kGlobalFilter, std::move(placeholder)))));
      }
    }
  }
  // 3. Local: the local_ratelimit filter and the token buckets per route config.
  if (!local.empty()) {
    auto groups = group_by_route(local);
    if (!config.disable_insert_local_rate_limit)
      for (const auto& context : contexts_of(groups))
        patches.push_back(patch("HTTP_FILTER", filter_match(context, config), "INSERT_BEFORE",
                                local_constants().filter_value));
    for (const auto& g : groups) {
      Json descriptors = Json::array();
      Json headers = Json::array();
      for (const Entry* e : g.entries) {
        const WrappedDescriptor* d = e->d;
        descriptors.push_back(object()
                                  .set("entries", local_entries(*d, e->value))
                                  .set("tokenBucket", token_bucket(d->quota, duration_string(*d->action.fill_interval))));
        for (const auto& h : d->action.headers_to_add)
          headers.push_back(object().set("header", object().set("key", h.key).set("value", h.value)).set("append", true));
      }
      JsonObject value;
      value.set("statPrefix", "http_local_rate_limiter")
          .set("tokenBucket", local_constants().bucket)
          .set("filterEnabled", local_constants().enabled)
          .set("filterEnforced", local_constants().enforced)
          .set("descriptors", std::move(descriptors));
      if (!headers.empty()) value.set("responseHeadersToAdd", std::move(headers));
      patches.push_back(patch(apply_to(*g.key), route_match(*g.key, config), "MERGE",
                              object().set("typed_per_filter_config",
                                           object().set(kLocalFilter, typed_struct(kLocalRateLimitType, value.take())))));
    }
  }
  JsonObject spec;
  spec.set("configPatches", std::move(patches));
  if (!set.selector.empty()) {
    Json labels = Json::object();
    for (const auto& [k, v] : set.selector) labels[k] = v;
    spec.set("workloadSelector", object().set("labels", std::move(labels)));
  }
  return spec.take();
}

}  // namespace slime::limiter

#include "slime/kube/discovery.h"

#include "slime/core/json.h"
#include "slime/core/json_depth.h"

namespace slime::kube {

std::string group_version_path(const core::Gvk& gvk) {
  return gvk.group.empty() ? "/api/" + gvk.version : "/apis/" + gvk.group + "/" + gvk.version;
}

void Discovery::add(const core::Gvk& gvk, ResourceInfo info) {
  std::lock_guard lock(mu_);
  by_gv_[gvk.api_version()][gvk.kind] = std::move(info);
}

ApiResult<ResourceInfo> Discovery::resolve(const core::Gvk& gvk) {
  std::string gv = gvk.api_version();
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      std::lock_guard lock(mu_);
      auto g = by_gv_.find(gv);
      if (g != by_gv_.end()) {
        auto k = g->second.find(gvk.kind);
        if (k != g->second.end()) return k->second;
        if (attempt == 1) break;
      }
    }
    if (auto r = load(gv); !r) return std::unexpected(r.error());
  }
  return api_fail(404, "NotFound", "the server has no resource for kind " + gvk.kind + " in " + gv);
}

ApiResult<core::Gvk> Discovery::preferred(const core::GroupKind& gk) {
  std::vector<std::string> versions;
  if (gk.group.empty()) {
    versions.push_back("v1");
  } else {
    auto resp = http_.perform({"GET", "/apis/" + gk.group});
    if (!resp) return std::unexpected(resp.error());
    if (resp->status < 200 || resp->status >= 300) return std::unexpected(api_error_from_response(resp->status, resp->body));
    auto doc = core::parse_untrusted_json(resp->body);
    try {
      if (doc.is_object() && doc.contains("preferredVersion"))
        versions.push_back(doc["preferredVersion"].value("version", ""));
      if (doc.is_object() && doc.contains("versions") && doc["versions"].is_array())
        for (const auto& v : doc["versions"]) versions.push_back(v.value("version", ""));
    } catch (const core::Json::exception&) {
    }
  }
  // The preferred version first; a kind only served in another version of the group still resolves.
  for (const auto& v : versions) {
    if (v.empty()) continue;
    core::Gvk gvk{gk.group, v, gk.kind};
    if (resolve(gvk)) return gvk;
  }
  return api_fail(404, "NotFound", "the server does not serve " + gk.str());
}

ApiResult<void> Discovery::load(const std::string& gv) {
  core::Gvk probe = core::Gvk::from(gv, "");
  auto resp = http_.perform({"GET", group_version_path(probe)});
  if (!resp) return std::unexpected(resp.error());
  if (resp->status < 200 || resp->status >= 300) return std::unexpected(api_error_from_response(resp->status, resp->body));
  auto doc = core::parse_untrusted_json(resp->body);
  std::map<std::string, ResourceInfo> kinds;
  try {  // json::value() throws on a wrongly typed field; a bad document only loses its entries
  if (doc.is_object() && doc.contains("resources") && doc["resources"].is_array()) {
    for (const auto& r : doc["resources"]) {
      if (!r.is_object()) continue;
      std::string name = r.value("name", "");
      std::string kind = r.value("kind", "");
      // Subresources ("pods/status") share the kind of their parent; keep only the parent.
      if (name.empty() || kind.empty() || name.find('/') != std::string::npos) continue;
      kinds[kind] = ResourceInfo{name, r.value("namespaced", true)};
    }
  }
  } catch (const core::Json::exception&) {
  }
  std::lock_guard lock(mu_);
  by_gv_[gv] = std::move(kinds);
  return {};
}

}  // namespace slime::kube

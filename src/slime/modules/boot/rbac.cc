#include "slime/modules/boot/rbac.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace slime::boot {
namespace {

using core::Json;

// Slime's own resource groups: a module writes the status of the resources of these groups it reads.
bool slime_group(const std::string& group) {
  return group == "microservice.slime.io" || group == "config.netease.com";
}

const std::vector<std::string> kRead = {"get", "list", "watch"};
const std::vector<std::string> kWrite = {"get", "list", "watch", "create", "update", "patch", "delete"};

// Kubernetes' order of verbs in its own roles, so that the output reads naturally and is stable.
int verb_rank(const std::string& v) {
  static const std::vector<std::string> order = {"get", "list", "watch", "create", "update", "patch", "delete", "bind"};
  auto it = std::find(order.begin(), order.end(), v);
  return static_cast<int>(it - order.begin());
}

}  // namespace

std::string resource_name(const core::GroupKind& gk) {
  std::string r;
  for (char c : gk.kind) r += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (r.empty() || r.back() == 's') return r;  // endpoints
  if (r.back() == 'y') return r.substr(0, r.size() - 1) + "ies";  // serviceentries
  return r + "s";
}

std::string module_role_name(const std::string& prefix, const std::string& kind) { return prefix + "-" + kind; }

core::Object module_cluster_role(const core::ModuleInfo& module, const std::vector<core::ModuleInfo>& catalog,
                                 const std::string& prefix) {
  // (group, resource) -> verbs
  std::map<std::pair<std::string, std::string>, std::set<std::string>> grants;
  auto grant = [&](const std::string& group, const std::string& resource, const std::vector<std::string>& verbs) {
    grants[{group, resource}].insert(verbs.begin(), verbs.end());
  };
  for (const auto& gk : module.reads) {
    grant(gk.group, resource_name(gk), kRead);
    if (slime_group(gk.group)) grant(gk.group, resource_name(gk) + "/status", {"get", "update", "patch"});
  }
  for (const auto& gk : module.writes) grant(gk.group, resource_name(gk), kWrite);
  // The finalizer on the resources it cleans up after (a merge patch of metadata.finalizers).
  if (module.finalized) grant(module.finalized->group, resource_name(*module.finalized), {"patch"});
  // Every `slime run`: the leader-election Lease, the slime.io/leader label on its own pod, Events.
  grant("coordination.k8s.io", "leases", {"get", "create", "update"});
  grant("", "pods", {"get", "patch"});
  grant("", "events", {"create", "patch"});

  // One rule per (group, verbs): resources sorted, rules in a stable order.
  std::map<std::pair<std::string, std::vector<std::string>>, std::vector<std::string>> rules;
  for (const auto& [gr, verbs] : grants) {
    std::vector<std::string> v(verbs.begin(), verbs.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return verb_rank(a) < verb_rank(b); });
    rules[{gr.first, v}].push_back(gr.second);
  }
  Json out = Json::array();
  for (const auto& [key, resources] : rules)
    out.push_back(Json{{"apiGroups", Json::array({key.first})}, {"resources", resources}, {"verbs", key.second}});
  if (module.kind == "boot") {
    // Only the named roles, only `bind`: the operator cannot grant anything else.
    std::vector<std::string> names;
    for (const auto& m : catalog)
      if (m.kind != module.kind) names.push_back(module_role_name(prefix, m.kind));
    if (!names.empty())
      out.push_back(Json{{"apiGroups", Json::array({"rbac.authorization.k8s.io"})},
                         {"resources", Json::array({"clusterroles"})},
                         {"resourceNames", names},
                         {"verbs", Json::array({"bind"})}});
  }
  core::Object role("rbac.authorization.k8s.io/v1", "ClusterRole", "", module_role_name(prefix, module.kind));
  role.set_label("app", "slime");
  role.set_label("slime.io/module-kind", module.kind);
  role.json()["rules"] = std::move(out);
  return role;
}

std::vector<core::Object> module_cluster_roles(const std::vector<core::ModuleInfo>& catalog, const std::string& prefix) {
  std::vector<core::Object> out;
  for (const auto& m : catalog) out.push_back(module_cluster_role(m, catalog, prefix));
  return out;
}

}  // namespace slime::boot

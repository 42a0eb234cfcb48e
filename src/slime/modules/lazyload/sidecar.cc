#include "slime/modules/lazyload/sidecar.h"

#include <algorithm>

#include "slime/modules/lazyload/names.h"

namespace slime::lazyload {

std::vector<std::string> sidecar_hosts(const Domains& domains, const FenceConfig& config, const std::string& fence_ns) {
  std::vector<std::string> hosts;
  hosts.reserve(domains.size() + 4 + config.stable_host.size());
  hosts.push_back(config.global.istio_namespace + "/*");
  if (config.global.slime_namespace != config.global.istio_namespace) hosts.push_back(config.global.slime_namespace + "/*");
  for (const auto& s : config.stable_host) hosts.push_back(s.ends_with("/*") ? s : "*/" + s);
  for (const auto& [key, d] : domains) {
    if (d.status == DomainStatus::kExpire) continue;
    if (key.ends_with("/*")) hosts.push_back(key);
    for (const auto& h : d.hosts) hosts.push_back("*/" + h);
  }
  if (config.namespace_mode()) {
    hosts.push_back("*/global-sidecar." + fence_ns + ".svc.cluster.local");
  } else if (!config.cluster_gs_namespace.empty() && config.cluster_gs_namespace != config.global.slime_namespace) {
    hosts.push_back("*/global-sidecar." + config.cluster_gs_namespace + ".svc.cluster.local");
  }
  std::sort(hosts.begin(), hosts.end());
  hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
  return hosts;
}

std::optional<std::map<std::string, std::string>> workload_labels(const core::Object& fence, const FenceSpec& spec,
                                                                  const core::Snapshot& snapshot,
                                                                  const FenceConfig& config,
                                                                  std::optional<core::Error>& problem) {
  if (!spec.labels.empty()) return spec.labels;
  if (!spec.from_service) return std::map<std::string, std::string>{{config.global.service, fence.name()}};
  const core::Object* svc = snapshot.get({kServiceGk, fence.ns(), fence.name()});
  if (!svc) return std::nullopt;  // not an error: the Service may come later, or auto-fence removes the fence
  std::map<std::string, std::string> labels;
  const core::Json& spec_json = svc->spec();
  if (spec_json.is_object()) {
    if (auto sel = spec_json.find("selector"); sel != spec_json.end() && sel->is_object())
      for (auto& [k, v] : sel->items())
        if (v.is_string()) labels[k] = v.get<std::string>();
  }
  if (labels.empty()) {
    core::Error e;
    e.object = fence.ref();
    e.field = "spec.workloadSelector.fromService";
    e.message = "Service " + fence.ns() + "/" + fence.name() +
                " has no spec.selector, so no workload can be selected; no Sidecar is generated";
    problem = std::move(e);
    return std::nullopt;
  }
  return labels;
}

core::Object make_sidecar(const core::Object& fence, const std::map<std::string, std::string>& labels,
                          const std::vector<std::string>& hosts) {
  core::Object sc(kSidecarApiVersion, "Sidecar", fence.ns(), fence.name());
  if (auto rev = fence.label(kRevLabel); !rev.empty()) sc.set_label(kRevLabel, rev);
  sc.add_owner(fence);
  core::Json& spec = sc.json()["spec"];
  spec["workloadSelector"]["labels"] = labels;
  spec["egress"] = core::Json::array({core::Json{{"hosts", hosts}}});
  return sc;
}

}  // namespace slime::lazyload

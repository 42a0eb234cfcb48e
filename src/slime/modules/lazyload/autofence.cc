#include "slime/modules/lazyload/autofence.h"

#include <algorithm>
#include <set>

#include "slime/modules/lazyload/names.h"
#include "slime/modules/lazyload/revision.h"

namespace slime::lazyload {

namespace {
constexpr std::string_view kWorkloadSuffix = ".workload.identity";

bool has_selector(const core::Object& svc) {
  const core::Json& spec = svc.spec();
  if (!spec.is_object()) return false;
  auto sel = spec.find("selector");
  return sel != spec.end() && sel->is_object() && !sel->empty();
}

std::string pod_ip(const core::Object& pod) {
  const core::Json& st = pod.status();
  if (!st.is_object()) return {};
  auto ip = st.find("podIP");
  return ip != st.end() && ip->is_string() ? ip->get<std::string>() : std::string();
}

core::Object fence_skeleton(const FenceConfig& config, const core::Object* existing, const std::string& ns,
                            const std::string& name) {
  core::Object f(kServiceFenceApiVersion, "ServiceFence", ns, name);
  if (existing) {
    // Adopt what is there (a user may have edited the spec of a generated fence; the original never rewrote it).
    auto meta = existing->json().find("metadata");
    if (meta != existing->json().end() && meta->is_object())
      for (const char* k : {"labels", "annotations", "uid", "ownerReferences"})
        if (auto it = meta->find(k); it != meta->end()) f.meta()[k] = *it;
    if (existing->spec().is_object()) f.json()["spec"] = existing->spec();
    return f;
  }
  f.set_label(kCreatedByLabel, kCreatedByValue);
  if (!config.global.self_resource_rev.empty()) f.set_label(kRevLabel, config.global.self_resource_rev);
  return f;
}
}  // namespace

NamespaceScope namespace_scope(const FenceConfig& config, const core::Snapshot& snapshot, const std::string& ns) {
  if (config.white_namespace_list && std::find(config.white_list.begin(), config.white_list.end(), ns) == config.white_list.end())
    return NamespaceScope::kOut;
  if (config.black_namespace_list && std::find(config.black_list.begin(), config.black_list.end(), ns) != config.black_list.end())
    return NamespaceScope::kOut;
  if (config.management_selectors.empty()) return NamespaceScope::kIn;
  const core::Object* nso = snapshot.get({kNamespaceGk, "", ns});
  if (!nso) return NamespaceScope::kUnknown;
  auto labels = nso->labels();
  for (const auto& sel : config.management_selectors)
    if (sel.matches(labels)) return NamespaceScope::kIn;
  return NamespaceScope::kOut;
}

bool is_service_fenced(const core::Object* service, const core::Object* ns, bool default_fence) {
  std::string v = service ? service->label(kServiceFencedLabel) : "";
  if (v == "true") return true;
  if (v == "false") return false;
  std::string n = ns ? ns->label(kServiceFencedLabel) : "";
  if (n == "true") return true;
  if (n == "false") return false;
  return default_fence;
}

bool is_controller_created(const core::Object& fence) { return fence.label(kCreatedByLabel) == kCreatedByValue; }

AutoFenceVerdict decide_service_fence(const FenceConfig& config, const core::Snapshot& snapshot, const std::string& ns,
                                      const std::string& name) {
  const core::Object* fence = snapshot.get({kServiceFenceGk, ns, name});
  auto scope = namespace_scope(config, snapshot, ns);
  if (scope == NamespaceScope::kUnknown) return AutoFenceVerdict::kNothing;
  if (scope == NamespaceScope::kOut)
    return fence && is_controller_created(*fence) ? AutoFenceVerdict::kDelete : AutoFenceVerdict::kNothing;
  const core::Object* svc = snapshot.get({kServiceGk, ns, name});
  const core::Object* nso = snapshot.get({kNamespaceGk, "", ns});
  bool fenced = is_service_fenced(svc, nso, config.default_fence);
  if (!fence) return svc && has_selector(*svc) && fenced ? AutoFenceVerdict::kWant : AutoFenceVerdict::kNothing;
  if (!rev_in_scope(config.global, fence->label(kRevLabel))) return AutoFenceVerdict::kNothing;
  if (!is_controller_created(*fence)) return AutoFenceVerdict::kNothing;
  if (!svc || !fenced) return AutoFenceVerdict::kDelete;
  return AutoFenceVerdict::kWant;
}

core::Object desired_service_fence(const FenceConfig& config, const core::Object* existing, const std::string& ns,
                                   const std::string& name) {
  core::Object f = fence_skeleton(config, existing, ns, name);
  if (!existing) f.json()["spec"] = {{"enable", true}, {"workloadSelector", {{"fromService", true}}}};
  return f;
}

std::string workload_fence_name(const FenceConfig& config, const std::string& label_value) {
  return config.fence_label_alias + "-" + label_value + std::string(kWorkloadSuffix);
}

std::vector<std::pair<std::string, std::string>> workload_groups(const FenceConfig& config,
                                                                 const core::Snapshot& snapshot) {
  std::set<std::pair<std::string, std::string>> groups;
  if (!config.auto_fence || config.fence_label_key.empty()) return {};
  std::string last_ns;
  bool last_in = false;
  for (const auto* pod : snapshot.list(kPodGk)) {
    std::string value = pod->label(config.fence_label_key);
    auto labels = pod->labels();
    if (!labels.count(config.fence_label_key) || pod_ip(*pod).empty()) continue;
    if (pod->ns() != last_ns) {
      last_ns = pod->ns();
      last_in = namespace_scope(config, snapshot, last_ns) == NamespaceScope::kIn;
    }
    if (last_in) groups.emplace(pod->ns(), value);
  }
  return {groups.begin(), groups.end()};
}

std::optional<std::string> workload_label_value(const FenceConfig& config, const core::Snapshot& snapshot,
                                                const std::string& ns, const std::string& fence_name) {
  if (!config.auto_fence || config.fence_label_key.empty()) return std::nullopt;
  if (namespace_scope(config, snapshot, ns) != NamespaceScope::kIn) return std::nullopt;
  for (const auto* pod : snapshot.list(kPodGk, ns)) {
    auto labels = pod->labels();
    auto it = labels.find(config.fence_label_key);
    if (it == labels.end() || pod_ip(*pod).empty()) continue;
    if (workload_fence_name(config, it->second) == fence_name) return it->second;
  }
  return std::nullopt;
}

core::Object desired_workload_fence(const FenceConfig& config, const core::Object* existing, const std::string& ns,
                                    const std::string& label_value) {
  core::Object f = fence_skeleton(config, existing, ns, workload_fence_name(config, label_value));
  if (!existing)
    f.json()["spec"] = {{"enable", true},
                        {"workloadSelector", {{"labels", {{config.fence_label_key, label_value}}}}}};
  return f;
}

bool owned_fence_is_obsolete(const FenceConfig& config, const core::Snapshot& snapshot, const core::Object& fence) {
  if (!config.auto_fence || !is_controller_created(fence)) return false;
  if (!config.fence_label_key.empty() && fence.name().ends_with(kWorkloadSuffix))
    return !workload_label_value(config, snapshot, fence.ns(), fence.name());
  return decide_service_fence(config, snapshot, fence.ns(), fence.name()) == AutoFenceVerdict::kDelete;
}

}  // namespace slime::lazyload

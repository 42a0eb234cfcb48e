#pragma once
// Auto-fence (spec §5.7): one ServiceFence per fenced Kubernetes Service, and workload fences (§5.8): one per
// distinct value of a pod label. Only fences carrying app.kubernetes.io/created-by=fence-controller are ever
// created, kept or removed; a fence without that label is the user's and is never touched.
#include <optional>
#include <string>
#include <vector>

#include "slime/core/object.h"
#include "slime/core/snapshot.h"
#include "slime/modules/lazyload/config.h"

namespace slime::lazyload {

enum class NamespaceScope { kIn, kOut, kUnknown };  // kUnknown: selectors set but the Namespace is not known

NamespaceScope namespace_scope(const FenceConfig& config, const core::Snapshot& snapshot, const std::string& ns);

// The decision table of §5.7 step 3 (labels only).
bool is_service_fenced(const core::Object* service, const core::Object* ns, bool default_fence);

enum class AutoFenceVerdict {
  kNothing,  // no fence wanted, none of ours exists (or the existing one is manual / out of revision scope)
  kWant,     // the fence should exist (created now, or kept)
  kDelete,   // a fence we created exists and must go
};

bool is_controller_created(const core::Object& fence);

AutoFenceVerdict decide_service_fence(const FenceConfig& config, const core::Snapshot& snapshot, const std::string& ns,
                                      const std::string& name);

// The fence auto-fence writes for Service ns/name: the existing controller-created one as it is (adopted), or
// a new one {enable: true, workloadSelector: {fromService: true}}.
core::Object desired_service_fence(const FenceConfig& config, const core::Object* existing, const std::string& ns,
                                   const std::string& name);

// Workload fences.
std::string workload_fence_name(const FenceConfig& config, const std::string& label_value);
// (namespace, label value) of every qualifying pod (label present, pod IP known, namespace in scope).
std::vector<std::pair<std::string, std::string>> workload_groups(const FenceConfig& config, const core::Snapshot& snapshot);
// Whether some qualifying pod in `ns` carries the label value the workload fence `fence_name` stands for.
std::optional<std::string> workload_label_value(const FenceConfig& config, const core::Snapshot& snapshot,
                                                const std::string& ns, const std::string& fence_name);
core::Object desired_workload_fence(const FenceConfig& config, const core::Object* existing, const std::string& ns,
                                    const std::string& label_value);

// Whether a controller-created fence found in the snapshot is one auto-fence would remove now (its Sidecar is
// then not rendered either).
bool owned_fence_is_obsolete(const FenceConfig& config, const core::Snapshot& snapshot, const core::Object& fence);

}  // namespace slime::lazyload

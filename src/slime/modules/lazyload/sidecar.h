#pragma once
// Sidecar generation from a fence (spec §5.6).
#include <optional>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/object.h"
#include "slime/core/snapshot.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/lazyload/fence.h"

namespace slime::lazyload {

// The sorted, de-duplicated egress hosts of the Sidecar of a fence in namespace `fence_ns`.
std::vector<std::string> sidecar_hosts(const Domains& domains, const FenceConfig& config, const std::string& fence_ns);

// workloadSelector.labels: spec labels > the Service's selector (fromService) > {global.service: fence name}.
// nullopt when there is no workload to select (fromService and the Service is missing or has no selector);
// `problem` is set when that is the user's mistake rather than a transient state.
std::optional<std::map<std::string, std::string>> workload_labels(const core::Object& fence, const FenceSpec& spec,
                                                                  const core::Snapshot& snapshot,
                                                                  const FenceConfig& config,
                                                                  std::optional<core::Error>& problem);

// The Sidecar object (name/namespace of the fence, rev label copied, ownerReference to the fence).
core::Object make_sidecar(const core::Object& fence, const std::map<std::string, std::string>& labels,
                          const std::vector<std::string>& hosts);

}  // namespace slime::lazyload

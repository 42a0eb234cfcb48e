#pragma once
// Domain computation (spec §5.4) and the EXPIREWAIT rule (§5.5): from a fence's spec and learned metrics to
// the dependency set recorded in status.domains and rendered into the Sidecar.
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/error.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/lazyload/fence.h"
#include "slime/modules/lazyload/mesh_view.h"

namespace slime::lazyload {

// A host may become a dependency unless it names the global sidecar, carries a port or is "unknown" (§5.4.4).
bool is_valid_host(std::string_view host);

// The host inside a metricStatus key such as `{destination_service="details.default.svc.cluster.local"}`
// (port dropped); empty when the key is not a usable destination key (§5.4.3).
std::string host_of_metric_key(std::string_view key);

// The domains of one fence, sources applied in order (spec.host, spec.namespaceSelector, spec.labelSelector,
// status.metricStatus), first writer of a key wins. `problems` receives unusable spec.host keys.
Domains compute_domains(const FenceSpec& spec, const std::map<std::string, std::string>& metric_status,
                        const MeshView& view, const FenceConfig& config, std::chrono::system_clock::time_point now,
                        std::vector<core::Error>& problems);

// §5.5: keys of `old_domains` missing from `fresh` survive one more computation as EXPIREWAIT if they were
// ACTIVE; EXPIREWAIT and EXPIRE ones are dropped.
Domains apply_expire_wait(const Domains& old_domains, Domains fresh);

}  // namespace slime::lazyload

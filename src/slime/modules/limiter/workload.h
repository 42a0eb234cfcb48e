#pragma once
// Which pods a SmartLimiter is about: the selector its EnvoyFilters carry, the sets (DestinationRule
// subsets and `_base`) and the ready pods of each set. Everything is read from the snapshot.
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/selector.h"
#include "slime/core/snapshot.h"
#include "slime/modules/limiter/config.h"
#include "slime/modules/limiter/model.h"

namespace slime::limiter {

struct WorkloadSet {
  std::string name;          // subset name, or `_base`
  core::Labels labels;       // subset labels (empty for `_base`)
  std::vector<std::string> pods;  // names of the Running, not deleting pods of the set, sorted
  size_t count = 0;               // {{.<set>.pod}}: pods.size(), or a ServiceEntry's endpoint count
};

struct Workload {
  std::string host;          // the service host DestinationRules are matched against
  core::Labels selector;     // the EnvoyFilters' workloadSelector (may be empty for a gateway)
  std::vector<WorkloadSet> sets;  // subsets in DestinationRule order, then `_base` last
  const WorkloadSet* find(std::string_view set) const;
};

// Fails when the limiter names no workload: no workloadSelector, no spec.host ServiceEntry and no
// Service <ns>/<name>.
core::Result<Workload> resolve_workload(const core::Snapshot& snapshot, const core::Object& limiter,
                                        const SmartLimiterSpec& spec, const LimiterConfig& config);

// `reviews` in `default` -> reviews.default.svc.cluster.local; short and 2/5-part names are completed.
std::string unity_host(std::string_view host, std::string_view ns);

}  // namespace slime::limiter

#pragma once
// One SmartLimiter evaluated against a snapshot: its sets with the descriptors whose condition holds,
// each with a computed quota (the "wrapped" descriptors of the original), plus the material used.
#include <deque>
#include <string>
#include <vector>

#include "slime/core/snapshot.h"
#include "slime/modules/limiter/config.h"
#include "slime/modules/limiter/identity.h"
#include "slime/modules/limiter/metrics.h"
#include "slime/modules/limiter/workload.h"

namespace slime::limiter {

struct EvaluatedSet {
  std::string name;
  core::Labels selector;  // workload selector ∪ subset labels
  std::deque<WrappedDescriptor> descriptors;  // not a vector: see DescriptorList
};

struct Evaluation {
  bool in_scope = false;  // false: another revision's limiter, render nothing
  bool resolved = false;  // the workload was found
  std::string name;
  std::string ns;
  SmartLimiterSpec spec;
  Workload workload;
  Material material;
  std::vector<EvaluatedSet> sets;  // sets with at least one effective descriptor, by name
  std::vector<core::Error> problems;
};

// `global_only` evaluates only strategy-global descriptors (what the RLS ConfigMap needs); the other
// descriptors are not even decoded, so its problems are incomplete (the limiter's own key reports them).
Evaluation evaluate_limiter(const core::RenderContext& ctx, const core::Object& limiter, const LimiterConfig& config,
                            bool global_only = false);

// The metric queries evaluate_limiter would read.
std::vector<core::MetricRequest> limiter_metric_requests(const core::RenderContext& ctx, const core::Object& limiter,
                                                         const LimiterConfig& config);

}  // namespace slime::limiter

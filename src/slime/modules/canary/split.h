#pragma once
// Version traffic split: each subset's weight is an expression over that subset's metrics (capacity,
// latency, …), normalised to whole percentages that add up to 100. The weights in force change only
// when some subset would move by at least `minChange` points, so noise in the metrics does not flap
// the routes; missing data keeps the weights in force.
#include "slime/modules/canary/routes.h"
#include "slime/modules/canary/state.h"

namespace slime::canary {

std::vector<core::MetricRequest> split_requests(const Split& split, std::string_view ns);

struct SplitOutcome {
  core::Json status;
  Weights weights;
  bool write_routes = true;
  std::vector<core::ModuleEvent> events;
};

SplitOutcome advance_split(const core::Object& obj, const Split& split, const core::MetricValues& metrics,
                           const std::optional<std::string>& conflict, TimePoint now);

// Whole percentages proportional to `raw` (non-negative, not all zero) adding up to 100: largest
// remainder, ties to the earlier subset.
std::vector<int> to_percentages(const std::vector<double>& raw);

}  // namespace slime::canary

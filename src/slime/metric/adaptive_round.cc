#include "slime/metric/adaptive_round.h"

#include <map>
#include <set>

namespace slime::metric {

AdaptiveRound run_adaptive_round(const core::Module& module, const core::RenderContext& ctx, PrometheusClient& client,
                                 MetricCache& cache) {
  AdaptiveRound round;
  std::vector<std::pair<std::string, std::vector<core::MetricRequest>>> per_key;
  std::map<core::MetricRequest, bool> changed;  // each distinct query is sent once per round
  for (const auto& key : module.keys(ctx)) {
    auto requests = module.metric_requests(ctx, key);
    if (requests.empty()) continue;
    for (const auto& r : requests) changed.emplace(r, false);
    per_key.emplace_back(key, std::move(requests));
  }
  for (auto& [request, did_change] : changed) {
    if (request.source != "prometheus") continue;
    ++round.queries;
    auto value = client.query(request.query);
    if (!value) {
      did_change = cache.get(request) != nullptr;
      cache.erase(request);
      round.errors.push_back(std::move(value.error()));
      continue;
    }
    did_change = cache.set(request, std::move(*value));
  }
  for (const auto& [key, requests] : per_key)
    for (const auto& r : requests)
      if (changed[r]) {
        round.changed_keys.push_back(key);
        break;
      }
  return round;
}

}  // namespace slime::metric

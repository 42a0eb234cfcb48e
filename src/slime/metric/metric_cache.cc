#include "slime/metric/metric_cache.h"

#include <set>

namespace slime::metric {

const core::Json* MetricCache::get(const core::MetricRequest& request) const {
  auto it = values_.find(request);
  return it == values_.end() ? nullptr : &it->second;
}

bool MetricCache::set(const core::MetricRequest& request, core::Json value) {
  auto [it, added] = values_.try_emplace(request, value);
  if (added) return true;
  if (it->second == value) return false;
  it->second = std::move(value);
  return true;
}

void MetricCache::erase(const core::MetricRequest& request) { values_.erase(request); }

ResolveResult resolve(PrometheusClient& client, const std::vector<core::MetricRequest>& requests, MetricCache& cache) {
  ResolveResult out;
  std::set<core::MetricRequest> seen;
  for (const auto& r : requests) {
    if (r.source != "prometheus" || !seen.insert(r).second) continue;
    ++out.queried;
    auto value = client.query(r.query);
    if (!value) {
      if (cache.get(r)) ++out.changed;
      cache.erase(r);
      out.errors.push_back(std::move(value.error()));
      continue;
    }
    if (cache.set(r, std::move(*value))) ++out.changed;
  }
  return out;
}

}  // namespace slime::metric

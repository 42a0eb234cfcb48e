#pragma once
// The MetricValues a driver hands to modules: answers to MetricRequests, filled by resolve().
#include <map>
#include <mutex>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/snapshot.h"
#include "slime/metric/prometheus_client.h"

namespace slime::metric {

class MetricCache final : public core::MetricValues {
 public:
  const core::Json* get(const core::MetricRequest& request) const override;
  // Returns true when the value changed (so that the driver re-renders only then).
  bool set(const core::MetricRequest& request, core::Json value);
  void erase(const core::MetricRequest& request);
  size_t size() const { return values_.size(); }

 private:
  std::map<core::MetricRequest, core::Json> values_;
};

struct ResolveResult {
  size_t queried = 0;
  size_t changed = 0;
  std::vector<core::Error> errors;  // one per failed query; the other answers are still stored
};

// Asks Prometheus every `prometheus` request (duplicates once) and stores the answers in `cache`.
// A failed query drops its old value: a stale number must not keep a limit in force.
ResolveResult resolve(PrometheusClient& client, const std::vector<core::MetricRequest>& requests, MetricCache& cache);

}  // namespace slime::metric

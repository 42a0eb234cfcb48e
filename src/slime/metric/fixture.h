#pragma once
// Metric fixtures: a YAML file that answers metric queries offline, so that `slime render --metrics FILE`
// and the golden runner can show what a metric-driven module does without a Prometheus. One format for
// every module that asks Prometheus (canary today; policy later):
//
//   # each rendered PromQL query, exactly as the module asks it, mapped to its answer
//   'sum(rate(istio_requests_total{...}[1m]))': 99.5     # a number: a one-sample instant vector
//   'histogram_quantile(0.99, ...)': "NaN"                # "NaN", "+Inf", "-Inf" or a decimal string
//   'up{job="x"}': []                                     # an empty vector: the query has no data
//   'by_pod': [{metric: {pod: a}, value: 3}, ...]         # a full instant vector
//
// A query the file does not mention has no answer at all (as when Prometheus is unreachable); the
// fixture remembers those so the CLI can list them for the user to fill in.
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/core/snapshot.h"
#include "slime/metric/metric_cache.h"

namespace slime::metric {

class MetricFixture final : public core::MetricValues {
 public:
  const core::Json* get(const core::MetricRequest& request) const override;
  // Queries asked but not in the fixture, sorted.
  std::vector<std::string> unanswered() const;
  size_t size() const { return answers_.size(); }

  // Reads the mapping described above; `file` labels errors (the query and what was wrong with it).
  static core::Result<MetricFixture> parse(const core::Json& doc, std::string_view file = {});
  // Reads and parses a fixture file.
  static core::Result<MetricFixture> load(const std::string& path);

  MetricFixture() = default;
  MetricFixture(MetricFixture&& other) noexcept : answers_(std::move(other.answers_)) {}
  MetricFixture& operator=(MetricFixture&& other) noexcept {
    answers_ = std::move(other.answers_);
    return *this;
  }

 private:
  MetricCache answers_;
  mutable std::mutex mu_;
  mutable std::set<std::string> unanswered_;
};

}  // namespace slime::metric

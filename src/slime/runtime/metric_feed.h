#pragma once
// Answers a module's MetricRequests while `slime run` runs: the limiter's adaptive loop and lazyload's
// Prometheus mode. Modules stay pure; this is the only place their metric queries meet the network.
//
// Two paths keep answers fresh without hot loops:
//  * before a reconcile, `answers()` asks what was never asked (a new SmartLimiter, or a pod-count
//    change that altered a `$pod_name` query) so the key renders at once instead of a tick later;
//  * every `period()`, `refresh()` asks every live query again and reports which answers changed, so the
//    controller re-renders only those keys (and writes only when the output differs).
// A failed query drops its old answer (a stale number must not keep a limit in force) and is retried at
// most once per period.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/snapshot.h"
#include "slime/metric/metric_cache.h"

namespace slime::runtime {

class MetricFeed {
 public:
  // Runs one instant query (e.g. PrometheusClient::query); must be thread-safe.
  using QueryFn = std::function<core::Result<core::Json>(const std::string& promql)>;

  MetricFeed(QueryFn query, std::chrono::milliseconds period);

  // The answers a reconcile hands to its module; queries the requests not asked yet first.
  metric::MetricCache answers(const std::vector<core::MetricRequest>& requests);
  // One tick: asks every request in `live` again and forgets the others. Returns the requests whose
  // answer changed (appeared, differs, or was dropped after a failure).
  std::set<core::MetricRequest> refresh(const std::set<core::MetricRequest>& live);

  std::chrono::milliseconds period() const { return period_; }

  struct Stats {
    std::atomic<uint64_t> queries{0}, failures{0}, rounds{0};
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    std::optional<core::Json> value;  // empty: never answered, or the last query failed
    std::chrono::steady_clock::time_point asked{};
    bool failing = false;
  };
  // Runs the query and stores the outcome; true when the stored answer changed.
  bool ask(const core::MetricRequest& request);

  QueryFn query_;
  std::chrono::milliseconds period_;
  std::mutex mu_;
  std::map<core::MetricRequest, Entry> entries_;
  Stats stats_;
};

}  // namespace slime::runtime

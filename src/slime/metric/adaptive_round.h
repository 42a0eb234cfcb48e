#pragma once
// One round of the adaptive loop, for the runtime's ticker: ask a module which metric queries each key
// needs, answer them from Prometheus into the cache, and say which keys saw a changed value (those need a
// re-render; the others do not, so nothing is written when nothing changed).
#include <string>
#include <vector>

#include "slime/core/module.h"
#include "slime/metric/metric_cache.h"
#include "slime/metric/prometheus_client.h"

namespace slime::metric {

struct AdaptiveRound {
  std::vector<std::string> changed_keys;  // in the module's key order
  size_t queries = 0;                     // distinct queries sent
  std::vector<core::Error> errors;        // failed queries (their old values are dropped)
};

// `ctx.metrics` should be `cache` itself, so that the module later renders from the same answers.
AdaptiveRound run_adaptive_round(const core::Module& module, const core::RenderContext& ctx, PrometheusClient& client,
                                 MetricCache& cache);

}  // namespace slime::metric

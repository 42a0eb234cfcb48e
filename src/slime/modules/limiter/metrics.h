#pragma once
// The "material" a limiter's templates read: pod counts per set, and the values of the module's
// Prometheus handlers (metric.prometheus.handlers) for this limiter.
#include <map>
#include <string>
#include <vector>

#include "slime/core/snapshot.h"
#include "slime/expr/template.h"
#include "slime/modules/limiter/config.h"
#include "slime/modules/limiter/workload.h"

namespace slime::limiter {

// A handler query bound to the material key its value goes to.
struct MetricBinding {
  std::string key;  // "_base.cpu.sum" (query with $pod_name, per set) or "cpu.sum"
  core::MetricRequest request;
};

// Handler queries with $namespace, $source_app and $pod_name filled in. Sets without pods get no
// $pod_name query (there is nothing to ask about).
std::vector<MetricBinding> metric_bindings(const LimiterConfig& config, const Workload& workload, std::string_view ns,
                                           std::string_view name);

struct Material {
  expr::Material values;
  // Keys whose metric has no usable value yet, with the reason.
  std::map<std::string, std::string, std::less<>> unavailable;
};

Material build_material(const Workload& workload, const std::vector<MetricBinding>& bindings,
                        const core::MetricValues& metrics);

// The shortest decimal that reads back as `v` ("563.3837582", "2", "NaN", "+Inf").
std::string format_number(double v);

}  // namespace slime::limiter

#pragma once
// The EnvoyFilter spec of one set of a SmartLimiter (limiter spec §3): route rate_limits actions, the
// HTTP filters, and the local token buckets per route.
#include <string>
#include <vector>

#include "slime/core/json.h"
#include "slime/modules/limiter/evaluate.h"

namespace slime::limiter {

// Where a descriptor applies: a route (or, with an empty route name, a whole virtual host).
struct RouteConfig {
  std::string context;  // SIDECAR_INBOUND, SIDECAR_OUTBOUND, GATEWAY
  std::string vhost;
  std::string route;
  auto operator<=>(const RouteConfig&) const = default;
};

std::vector<RouteConfig> route_configs(const Target& target, bool gateway);

// `Service[<name>.<ns>]-Id[<N>]`
std::string descriptor_value(const WrappedDescriptor& d, std::string_view ns, std::string_view name);

core::Json envoy_filter_spec(const Evaluation& ev, const EvaluatedSet& set, const LimiterConfig& config,
                             std::vector<core::Error>& problems);

// protojson Duration: "1s", "0.500s", "1.000000001s".
std::string duration_string(const Duration& d);

}  // namespace slime::limiter

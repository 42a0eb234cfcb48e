#include "slime/modules/canary/builtin_checks.h"

namespace slime::canary {
namespace {

#define CANARY_SELECTOR                                                                                       \
  "reporter=\"destination\",destination_service_namespace=\"{{.namespace}}\",destination_service_name=\"{{." \
  "service}}\",destination_version=\"{{.version}}\""

// Percent of requests not answered with a 5xx; no requests in the window gives no sample (no verdict).
constexpr BuiltinCheck kSuccessRate{
    "request-success-rate",
    "100 * sum(rate(istio_requests_total{" CANARY_SELECTOR ",response_code!~\"5..\"}[{{.interval}}])) / "
    "sum(rate(istio_requests_total{" CANARY_SELECTOR "}[{{.interval}}]))",
    "{{.canary}} >= 99"};

// The 99th percentile of request durations, in milliseconds.
constexpr BuiltinCheck kDuration{
    "request-duration",
    "histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{" CANARY_SELECTOR
    "}[{{.interval}}])) by (le))",
    "{{.canary}} <= 500"};

#undef CANARY_SELECTOR

constexpr const BuiltinCheck* kBuiltins[] = {&kSuccessRate, &kDuration};

}  // namespace

const BuiltinCheck* find_builtin(std::string_view name) {
  for (const auto* b : kBuiltins)
    if (b->name == name) return b;
  return nullptr;
}

std::string builtin_names() {
  std::string out;
  for (const auto* b : kBuiltins) out += (out.empty() ? "" : ", ") + std::string(b->name);
  return out;
}

}  // namespace slime::canary

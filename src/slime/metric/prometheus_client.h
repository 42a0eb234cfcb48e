#pragma once
// A Prometheus HTTP API client for instant queries (GET /api/v1/query), with libcurl. One connection is
// kept alive and reused; calls are serialised by a mutex, so one client may be shared by threads.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "slime/core/error.h"
#include "slime/core/json.h"

namespace slime::metric {

struct PrometheusOptions {
  std::string address;  // http://host:port (a path prefix such as /prometheus is kept)
  std::chrono::milliseconds timeout{5000};
};

class PrometheusClient {
 public:
  explicit PrometheusClient(PrometheusOptions options);
  ~PrometheusClient();
  PrometheusClient(const PrometheusClient&) = delete;
  PrometheusClient& operator=(const PrometheusClient&) = delete;

  // The result in the form modules read through MetricValues: a JSON array of
  // {metric: {label: value}, value: number} (scalars become one sample without labels; NaN and ±Inf stay
  // strings, as JSON has no such numbers). `time` defaults to the server's now.
  core::Result<core::Json> query(std::string_view promql,
                                 std::optional<std::chrono::system_clock::time_point> time = std::nullopt);

  const std::string& address() const { return options_.address; }

 private:
  core::Result<std::string> get(const std::string& url);

  PrometheusOptions options_;
  std::mutex mutex_;
  void* curl_ = nullptr;  // CURL*, kept alive between queries
};

// Converts a Prometheus API response body (`{"status": ..., "data": {"resultType", "result"}}`).
core::Result<core::Json> parse_query_response(std::string_view body);

}  // namespace slime::metric

#pragma once
// A real Prometheus for a test: started with tools/prometheus/start.sh in a fresh temporary directory,
// scraping a target on loopback every second, stopped (by its pid file) on destruction.
#include <string>

namespace slime::testing {

class PrometheusProcess {
 public:
  // `target` is host:port. After construction, check available() (false when there is no prometheus
  // binary: the test skips) and error().
  explicit PrometheusProcess(const std::string& target);
  ~PrometheusProcess();
  bool available() const { return available_; }
  const std::string& address() const { return address_; }
  const std::string& error() const { return error_; }

 private:
  std::string workdir_;
  std::string address_;
  std::string error_;
  bool available_ = false;
};

}  // namespace slime::testing

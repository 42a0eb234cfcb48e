#pragma once
// An access-log service client: reports calls the way Envoy's http_grpc access logger does (one long
// client stream, batches of HTTPAccessLogEntry), so a proxy that is not Envoy can feed the same learning
// loop. Lossy by design, like Envoy's: report() never blocks; when the queue is full or the service is
// down, entries are dropped and counted.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "slime/metric/accesslog/accesslog_event.h"

namespace slime::metric {

struct ReportedCall {
  std::string source_ip;
  uint16_t source_port = 0;
  uint16_t listen_port = 0;  // recorded as upstream_cluster "inbound|<port>||", as the gs sidecar logs it
  std::string authority;
  std::string path;
  uint32_t status = 0;
  bool tcp = false;  // a relayed TCP connection: no HTTP protocol version, authority = Service name:port
};

class AccessLogReporter {
 public:
  struct Options {
    std::string target;  // host:port of the access-log service
    std::string node_id = "slime-proxy";
    std::string log_name = "http_envoy_accesslog";
    size_t max_queue = 10000;
    size_t max_batch = 100;
  };

  explicit AccessLogReporter(Options opts);
  ~AccessLogReporter();
  AccessLogReporter(const AccessLogReporter&) = delete;
  AccessLogReporter& operator=(const AccessLogReporter&) = delete;

  void report(ReportedCall call);
  // Waits until everything queued so far was written (or dropped); false on timeout. For tests and shutdown.
  bool flush(std::chrono::milliseconds timeout);

  uint64_t sent() const { return sent_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  void run();

  Options opts_;
  std::mutex mu_;
  std::condition_variable cv_;       // work for the sender
  std::condition_variable idle_cv_;  // sender finished a round
  std::deque<ReportedCall> queue_;
  size_t in_flight_ = 0;
  bool stopping_ = false;
  std::atomic<uint64_t> sent_{0}, dropped_{0};
  std::thread thread_;
};

}  // namespace slime::metric

#pragma once
// The Envoy access-log service, envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs (gRPC, client
// streaming; nothing is ever sent back but the final empty response). Every decoded batch is handed to
// the sink at once, on the gRPC thread that read it: learning is event-driven, not polled.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "slime/core/error.h"
#include "slime/metric/accesslog/accesslog_event.h"

namespace slime::metric {

class AccessLogServer {
 public:
  using Sink = std::function<void(AccessLogBatch&&)>;

  explicit AccessLogServer(Sink sink);
  ~AccessLogServer();
  AccessLogServer(const AccessLogServer&) = delete;
  AccessLogServer& operator=(const AccessLogServer&) = delete;

  // addr: "host:port" or ":port" (all interfaces, as Envoy sidecars connect from other pods); port 0 picks
  // a free one.
  core::Result<void> start(const std::string& addr);
  void stop();
  uint16_t port() const { return port_; }

  uint64_t messages() const { return messages_.load(); }
  uint64_t events() const { return events_.load(); }
  uint64_t rejected() const { return rejected_.load(); }

 private:
  class Service;
  friend class Service;
  Sink sink_;
  std::unique_ptr<Service> service_;
  struct ServerHolder;
  std::unique_ptr<ServerHolder> server_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> messages_{0}, events_{0}, rejected_{0};
};

}  // namespace slime::metric

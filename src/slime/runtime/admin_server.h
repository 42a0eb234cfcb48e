#pragma once
// The admin HTTP endpoint (Boost.Beast): health, readiness, metrics, debug and the run-time log
// level. Loopback by default. Requests are tiny and rare, so one thread serves them one at a time.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "slime/core/error.h"

namespace slime::runtime {

struct AdminRequest {
  std::string method;
  std::string path;                          // without the query
  std::map<std::string, std::string> query;  // decoded
  std::string body;
};

struct AdminResponse {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

class AdminServer {
 public:
  using Handler = std::function<AdminResponse(const AdminRequest&)>;

  AdminServer();
  ~AdminServer();

  // Register before start().
  void route(const std::string& path, Handler h);
  // addr: "host:port" (port 0 picks a free one). Fails when the address cannot be bound.
  core::Result<void> start(const std::string& addr);
  void stop();
  uint16_t port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::map<std::string, Handler> routes_;
  uint16_t port_ = 0;
  std::thread thread_;
};

// "127.0.0.1:8081" -> host, port; also ":8081" (loopback, never all interfaces by accident).
core::Result<std::pair<std::string, uint16_t>> parse_host_port(const std::string& addr);

}  // namespace slime::runtime

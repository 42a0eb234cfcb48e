#pragma once
// An admin HTTP endpoint (Boost.Beast): health, readiness, metrics, debug and the run-time log level.
// Every request is bounded — a deadline for the whole exchange (read, handle, write), a head and body size
// limit, a cap on open connections — and connections are served concurrently, so a client that trickles
// its request one byte a second holds one connection slot until its deadline, never the probes.
// `slime run` runs two: the probe server (--admin-addr) and the debug server (--debug-addr, loopback).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

struct AdminLimits {
  std::chrono::milliseconds request_deadline{5000};  // accept to last byte written
  size_t max_connections = 64;                       // further clients are closed at once
  uint32_t max_header_bytes = 16 * 1024;             // 431 beyond
  uint64_t max_body_bytes = 64 * 1024;               // 413 beyond
  int threads = 2;                                   // handlers run here: a slow one does not stall the rest
};

class AdminServer {
 public:
  using Handler = std::function<AdminResponse(const AdminRequest&)>;

  explicit AdminServer(AdminLimits limits = {});
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Register before start(). `methods` lists the methods the route answers (others: 405 with Allow); empty
  // means any. Handlers may run concurrently on the server's threads.
  void route(const std::string& path, Handler h, std::vector<std::string> methods = {});
  bool has_routes() const { return !routes_.empty(); }
  // addr: "host:port" (port 0 picks a free one). `flag` names the option in errors. Fails when the address
  // cannot be bound.
  core::Result<void> start(const std::string& addr, const std::string& flag = "--admin-addr");
  void stop();
  uint16_t port() const { return port_; }

  struct Impl;

 private:
  struct Route {
    Handler handler;
    std::vector<std::string> methods;
  };
  AdminLimits limits_;
  std::map<std::string, Route> routes_;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

// "127.0.0.1:8081" -> host, port; also ":8081" (loopback, never all interfaces by accident).
core::Result<std::pair<std::string, uint16_t>> parse_host_port(const std::string& addr,
                                                               const std::string& flag = "--admin-addr");

// Whether "host:port" names a loopback address (127.0.0.0/8, ::1, localhost, or an empty host).
bool is_loopback_addr(const std::string& addr);

}  // namespace slime::runtime

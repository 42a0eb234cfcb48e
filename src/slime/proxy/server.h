#pragma once
// The global-sidecar proxy (spec §6.6): HTTP/1.1 with keep-alive, pooled upstream connections and bodies
// streamed both ways; h2c (gRPC) relayed stream by stream, each stream routed on its own; an optional
// probe listener answering 200 to everything; TCP listeners whose connections carry a PROXY protocol
// header (TCP lazy loading, tcp_session.cc). Each I/O thread runs its own io_context;
// accepted connections are dealt round robin to them and stay there.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "slime/core/error.h"
#include "slime/proxy/options.h"
#include "slime/proxy/routing/mesh_index.h"
#include "slime/proxy/routing/tcp_routes.h"

namespace slime::proxy {

struct ProxyStats {
  std::atomic<uint64_t> connections{0}, requests{0}, refused{0}, upstream_errors{0}, h2_connections{0},
      bad_requests{0}, pooled_reuses{0}, tcp_connections{0}, tcp_refused{0};
  std::atomic<int64_t> active_connections{0};
};

// Counts a downstream connection in `total` (connections, tcp_connections) and in active_connections
// for as long as it lives (the accept loop's bound reads active_connections).
class ConnectionCount {
 public:
  ConnectionCount(ProxyStats& stats, std::atomic<uint64_t>& total) : stats_(stats) {
    total.fetch_add(1, std::memory_order_relaxed);
    stats_.active_connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~ConnectionCount() { stats_.active_connections.fetch_sub(1, std::memory_order_relaxed); }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;

 private:
  ProxyStats& stats_;
};

class ProxyServer {
 public:
  explicit ProxyServer(ProxyOptions opts);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Binds every listener (failing on the first that cannot be bound) and starts the I/O threads.
  core::Result<void> start();
  void stop();

  // The mesh the proxy may forward to; null: no service list (forward anywhere). Swapped atomically.
  void set_mesh(std::shared_ptr<const MeshIndex> mesh);
  std::shared_ptr<const MeshIndex> mesh() const;
  // The TCP listeners' allow-list (Service ports by address); null: TCP connections are refused.
  void set_tcp_routes(std::shared_ptr<const TcpRoutes> routes);

  // Wormhole ports (spec §6.6 step 3): opens a listener on `opts.dynamic_listen_host:p` for every port
  // that no listener serves yet (the probe port is skipped), and closes the ones this call opened earlier
  // for ports no longer listed when `close_vanished` (open connections finish). Ports that cannot be
  // bound are reported and left out; the others still open. Safe from any thread after start(), but not
  // concurrently with stop() (stop the feeding watch first).
  std::vector<core::Error> set_dynamic_ports(const std::vector<uint16_t>& ports, bool close_vanished);
  std::vector<uint16_t> dynamic_ports() const;

  // Bound ports, in --listen order (useful with port 0), and the probe port (0 when none).
  const std::vector<uint16_t>& ports() const { return ports_; }
  // Bound --tcp-listen ports, in order.
  const std::vector<uint16_t>& tcp_ports() const { return tcp_ports_; }
  uint16_t probe_port() const { return probe_port_; }
  const ProxyStats& stats() const { return stats_; }
  size_t idle_upstream() const;

  struct Impl;

 private:
  // Declaration order matters: sessions abandoned at stop() are destroyed with impl_ and still count
  // themselves out of stats_.
  ProxyOptions opts_;
  ProxyStats stats_;
  std::unique_ptr<Impl> impl_;
  std::vector<uint16_t> ports_;
  std::vector<uint16_t> tcp_ports_;
  uint16_t probe_port_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace slime::proxy

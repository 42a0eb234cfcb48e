#pragma once
// One downstream connection: sniff HTTP/1.1 vs h2c, then either serve HTTP/1.1 requests in a keep-alive
// loop or hand the connection to the h2c relay (h2_relay.h), which routes every stream on its own. A session lives on one single-threaded io_context
// (one per I/O thread), so its handlers never run concurrently and need no strand.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "slime/proxy/asio.h"
#include "slime/proxy/options.h"
#include "slime/proxy/routing/destination.h"
#include "slime/proxy/routing/mesh_index.h"
#include "slime/proxy/routing/tcp_routes.h"
#include "slime/proxy/upstream_pool.h"

namespace slime::proxy {

struct ProxyStats;

// What routing reads per request: the mesh (null: no service list) and the rules (own ports change when
// wormhole listeners open or close). Replaced as a whole; sessions keep their copy until the version moves,
// so a request costs one relaxed atomic load instead of a lock and two reference counts.
struct RoutingView {
  std::shared_ptr<const MeshIndex> mesh;
  std::shared_ptr<const DestinationRules> rules;
  std::shared_ptr<const TcpRoutes> tcp;  // null: no service list (TCP listeners then refuse everything)
};

class RoutingState {
 public:
  explicit RoutingState(DestinationRules rules)
      : view_{nullptr, std::make_shared<const DestinationRules>(std::move(rules)), nullptr} {}
  void set_mesh(std::shared_ptr<const MeshIndex> mesh) {
    std::lock_guard lock(mu_);
    view_.mesh = std::move(mesh);
    version_.fetch_add(1, std::memory_order_release);
  }
  void set_tcp(std::shared_ptr<const TcpRoutes> tcp) {
    std::lock_guard lock(mu_);
    view_.tcp = std::move(tcp);
    version_.fetch_add(1, std::memory_order_release);
  }
  void set_rules(std::shared_ptr<const DestinationRules> rules) {
    std::lock_guard lock(mu_);
    view_.rules = std::move(rules);
    version_.fetch_add(1, std::memory_order_release);
  }
  RoutingView get() const {
    std::lock_guard lock(mu_);
    return view_;
  }
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // A session's cached copy, refreshed only when the state changed.
  struct Cached {
    RoutingView view;
    uint64_t version = ~uint64_t{0};
    const RoutingView& refresh(const RoutingState& s) {
      auto v = s.version();
      if (v != version) {
        view = s.get();
        version = v;
      }
      return view;
    }
  };

 private:
  mutable std::mutex mu_;
  RoutingView view_;
  std::atomic<uint64_t> version_{0};
};

// The local addresses of the TCP relay's own upstream connections. When the global sidecar's own Envoy
// sends one of them back to a --tcp-listen port (a destination its Envoy does not know yet, caught by the
// TCP fallback chain like any caller's), the PROXY header's source is that address: refused, not relayed
// again and again.
class TcpLoopGuard {
 public:
  void add(const std::string& ip, uint16_t port) {
    std::lock_guard lock(mu_);
    own_.insert({ip, port});
  }
  void remove(const std::string& ip, uint16_t port) {
    std::lock_guard lock(mu_);
    own_.erase({ip, port});
  }
  bool contains(const std::string& ip, uint16_t port) const {
    std::lock_guard lock(mu_);
    return own_.contains({ip, port});
  }

 private:
  mutable std::mutex mu_;
  std::set<std::pair<std::string, uint16_t>> own_;
};

// What sessions share: options, the pool, the routing state, counters.
struct SessionContext {
  const ProxyOptions& opts;
  ProxyStats& stats;
  UpstreamPool& pool;
  RoutingState& routing;
  std::atomic<uint64_t> pick{0};  // round robin over endpoints of headless Services
  std::atomic<bool> closing{false};  // set at stop: abandoned sessions must not touch the pool any more
  TcpLoopGuard tcp_loops{};
};

awaitable<void> serve_proxy_connection(tcp::socket socket, uint16_t listen_port, SessionContext& ctx);
awaitable<void> serve_probe_connection(tcp::socket socket);
// A --tcp-listen connection (tcp_session.cc): PROXY header, mesh address check, byte relay.
awaitable<void> serve_tcp_connection(tcp::socket socket, uint16_t listen_port, SessionContext& ctx);

}  // namespace slime::proxy

#pragma once
// One downstream connection: sniff HTTP/1.1 vs h2c, then either serve HTTP/1.1 requests in a keep-alive
// loop or hand the connection to the h2c relay (h2_relay.h), which routes every stream on its own. A session lives on one single-threaded io_context
// (one per I/O thread), so its handlers never run concurrently and need no strand.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "slime/proxy/asio.h"
#include "slime/proxy/options.h"
#include "slime/proxy/routing/destination.h"
#include "slime/proxy/routing/mesh_index.h"
#include "slime/proxy/upstream_pool.h"

namespace slime::proxy {

struct ProxyStats;

// What routing reads per request: the mesh (null: no service list) and the rules (own ports change when
// wormhole listeners open or close). Replaced as a whole; sessions keep their copy until the version moves,
// so a request costs one relaxed atomic load instead of a lock and two reference counts.
struct RoutingView {
  std::shared_ptr<const MeshIndex> mesh;
  std::shared_ptr<const DestinationRules> rules;
};

class RoutingState {
 public:
  explicit RoutingState(DestinationRules rules) : view_{nullptr, std::make_shared<const DestinationRules>(std::move(rules))} {}
  void set_mesh(std::shared_ptr<const MeshIndex> mesh) {
    std::lock_guard lock(mu_);
    view_.mesh = std::move(mesh);
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

// What sessions share: options, the pool, the routing state, counters.
struct SessionContext {
  const ProxyOptions& opts;
  ProxyStats& stats;
  UpstreamPool& pool;
  RoutingState& routing;
  std::atomic<uint64_t> pick{0};  // round robin over endpoints of headless Services
  std::atomic<bool> closing{false};  // set at stop: abandoned sessions must not touch the pool any more
};

awaitable<void> serve_proxy_connection(tcp::socket socket, uint16_t listen_port, SessionContext& ctx);
awaitable<void> serve_probe_connection(tcp::socket socket);

}  // namespace slime::proxy

#pragma once
// One downstream connection: sniff HTTP/1.1 vs h2c, then either serve HTTP/1.1 requests in a keep-alive
// loop or route the h2c connection once and relay it. All of a session's handlers run on its strand.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "slime/proxy/asio.h"
#include "slime/proxy/options.h"
#include "slime/proxy/routing/mesh_index.h"
#include "slime/proxy/upstream_pool.h"

namespace slime::proxy {

struct ProxyStats;

// What sessions share: options, the pool, the mesh, counters.
struct SessionContext {
  const ProxyOptions& opts;
  ProxyStats& stats;
  UpstreamPool& pool;
  std::function<std::shared_ptr<const MeshIndex>()> mesh;
  std::atomic<uint64_t> pick{0};  // round robin over endpoints of headless Services
  std::atomic<bool> closing{false};  // set at stop: abandoned sessions must not touch the pool any more
};

awaitable<void> serve_proxy_connection(tcp::socket socket, uint16_t listen_port, SessionContext& ctx);
awaitable<void> serve_probe_connection(tcp::socket socket);

}  // namespace slime::proxy

#pragma once
// Keeps the proxy's mesh index up to date from a store::Cluster (the Kubernetes API through the
// runtime's informers): Services and Endpoints are watched, and the index is rebuilt at most every
// `debounce` after a change, so a burst of endpoint updates costs one rebuild.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "slime/core/error.h"
#include "slime/proxy/routing/mesh_index.h"
#include "slime/proxy/routing/tcp_routes.h"
#include "slime/store/cluster.h"

namespace slime::proxy {

class ClusterMeshSource {
 public:
  using Sink = std::function<void(std::shared_ptr<const MeshIndex>)>;
  using TcpSink = std::function<void(std::shared_ptr<const TcpRoutes>)>;
  ClusterMeshSource(store::Cluster& cluster, Sink sink,
                    std::chrono::milliseconds debounce = std::chrono::milliseconds(500));
  ~ClusterMeshSource();

  // Starts the watches and waits for the first complete list (an error when it does not come in time).
  core::Result<void> start(std::chrono::milliseconds sync_timeout);
  void stop();
  // Also builds the TCP listeners' allow-list from the same snapshot (call before start()).
  void set_tcp_sink(TcpSink sink) { tcp_sink_ = std::move(sink); }

 private:
  void rebuild();

  store::Cluster& cluster_;
  Sink sink_;
  TcpSink tcp_sink_;
  std::chrono::milliseconds debounce_;
  std::atomic<bool> dirty_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace slime::proxy

#include "slime/proxy/cluster_mesh_source.h"

#include <spdlog/spdlog.h>

namespace slime::proxy {

ClusterMeshSource::ClusterMeshSource(store::Cluster& cluster, Sink sink, std::chrono::milliseconds debounce)
    : cluster_(cluster), sink_(std::move(sink)), debounce_(debounce) {
  // Subscribed before the cluster starts feeding, as SharedStore requires.
  cluster_.store().subscribe([this](const store::SharedStore::ObjectPtr& old, const store::SharedStore::ObjectPtr& now) {
    const auto& o = now ? now : old;
    auto kind = o->kind();
    if (kind == "Service" || kind == "Endpoints" || kind == "EndpointSlice") dirty_ = true;
  });
}

ClusterMeshSource::~ClusterMeshSource() { stop(); }

void ClusterMeshSource::rebuild() {
  std::shared_ptr<const TcpRoutes> tcp;
  auto index = cluster_.store().read([&](const core::Snapshot& s) {
    if (tcp_sink_) tcp = std::make_shared<const TcpRoutes>(TcpRoutes::build(s));
    return std::make_shared<const MeshIndex>(MeshIndex::build(s));
  });
  spdlog::info("proxy: mesh updated source={} services={}", cluster_.describe(), index->services());
  sink_(std::move(index));
  if (tcp_sink_) tcp_sink_(std::move(tcp));
}

core::Result<void> ClusterMeshSource::start(std::chrono::milliseconds sync_timeout) {
  // The cluster watches EndpointSlices where the server has them, Endpoints on older ones.
  if (auto r = cluster_.start({{"", "Service"}, {"", "Endpoints"}, {"discovery.k8s.io", "EndpointSlice"}}); !r) return r;
  if (!cluster_.wait_synced(sync_timeout))
    return core::fail("Services/Endpoints not listed within the sync timeout from " + cluster_.describe());
  dirty_ = false;
  rebuild();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, debounce_, [this] { return stopping_; })) {
      if (!dirty_.exchange(false)) continue;
      lock.unlock();
      rebuild();
      lock.lock();
    }
  });
  return {};
}

void ClusterMeshSource::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  cluster_.stop();
}

}  // namespace slime::proxy

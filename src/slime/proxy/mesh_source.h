#pragma once
// Keeps the proxy's mesh index up to date from a manifest directory (the same files `slime run
// --state-dir` reads): Services and Endpoints are re-read when a file changes.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "slime/core/error.h"
#include "slime/proxy/routing/mesh_index.h"
#include "slime/proxy/routing/tcp_routes.h"

namespace slime::proxy {

class ManifestMeshSource {
 public:
  using Sink = std::function<void(std::shared_ptr<const MeshIndex>)>;
  using TcpSink = std::function<void(std::shared_ptr<const TcpRoutes>)>;
  ManifestMeshSource(std::string dir, Sink sink, std::chrono::milliseconds poll = std::chrono::seconds(2));
  ~ManifestMeshSource();

  // Loads once (an unreadable directory is an error), then watches in the background.
  core::Result<void> start();
  void stop();
  // Also builds the TCP listeners' allow-list from the same snapshot (call before start()).
  void set_tcp_sink(TcpSink sink) { tcp_sink_ = std::move(sink); }

 private:
  bool reload_if_changed();

  std::string dir_;
  Sink sink_;
  TcpSink tcp_sink_;
  std::chrono::milliseconds poll_;
  std::string signature_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace slime::proxy

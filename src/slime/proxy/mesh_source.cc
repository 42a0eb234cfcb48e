#include "slime/proxy/mesh_source.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "slime/store/manifest_loader.h"
#include "slime/store/memory_store.h"

namespace slime::proxy {

ManifestMeshSource::ManifestMeshSource(std::string dir, Sink sink, std::chrono::milliseconds poll)
    : dir_(std::move(dir)), sink_(std::move(sink)), poll_(poll) {}

ManifestMeshSource::~ManifestMeshSource() { stop(); }

// Rebuilds the index when the set of files or any size/mtime changed (cheap: one stat per file).
bool ManifestMeshSource::reload_if_changed() {
  auto files = store::manifest_files(dir_);
  std::string sig;
  for (const auto& f : files) {
    std::error_code ec;
    auto t = std::filesystem::last_write_time(f, ec);
    auto size = std::filesystem::file_size(f, ec);
    sig += f + "|" + std::to_string(t.time_since_epoch().count()) + "|" + std::to_string(size) + "\n";
  }
  if (sig == signature_) return false;
  signature_ = std::move(sig);
  auto loaded = store::load_paths({dir_});
  for (const auto& e : loaded.errors) spdlog::warn("proxy: manifest problem: {}", e.str());
  store::MemoryStore mem;
  for (auto& o : loaded.objects) {
    auto kind = o.object.kind();
    if (kind == "Service" || kind == "Endpoints" || kind == "EndpointSlice") mem.put(std::move(o.object));
  }
  auto index = std::make_shared<const MeshIndex>(MeshIndex::build(mem));
  spdlog::info("proxy: mesh loaded dir={} services={}", dir_, index->services());
  sink_(std::move(index));
  if (tcp_sink_) tcp_sink_(std::make_shared<const TcpRoutes>(TcpRoutes::build(mem)));
  return true;
}

core::Result<void> ManifestMeshSource::start() {
  std::error_code ec;
  if (!std::filesystem::exists(dir_, ec)) return core::fail("no such directory '" + dir_ + "'", "--state-dir");
  reload_if_changed();
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, poll_, [this] { return stopping_; })) {
      lock.unlock();
      reload_if_changed();
      lock.lock();
    }
  });
  return {};
}

void ManifestMeshSource::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace slime::proxy

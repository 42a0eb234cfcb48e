#include "slime/learning/learning_loop.h"

#include <spdlog/spdlog.h>

#include "slime/modules/lazyload/names.h"

namespace slime::learning {
namespace {

// The part of a fence status ingestion owns.
core::Json learned_part(const core::Json& status) {
  core::Json out = core::Json::object();
  if (!status.is_object()) return out;
  for (const char* key : {"metricStatus", "metricLastSeen"})
    if (auto it = status.find(key); it != status.end()) out[key] = *it;
  return out;
}

// The store's snapshot with our not-yet-visible status writes laid over the fences they target.
class OverlaySnapshot final : public core::Snapshot {
 public:
  OverlaySnapshot(const core::Snapshot& base, const std::map<core::ObjectKey, core::Object>& overlay)
      : base_(base), overlay_(overlay) {}
  const core::Object* get(const core::ObjectKey& key) const override {
    if (auto it = overlay_.find(key); it != overlay_.end()) return &it->second;
    return base_.get(key);
  }
  std::vector<const core::Object*> list(const core::GroupKind& gk, std::string_view ns) const override {
    auto objects = base_.list(gk, ns);
    if (gk == lazyload::kServiceFenceGk && !overlay_.empty())
      for (auto& o : objects)
        if (auto it = overlay_.find(o->key()); it != overlay_.end()) o = &it->second;
    return objects;
  }

 private:
  const core::Snapshot& base_;
  const std::map<core::ObjectKey, core::Object>& overlay_;
};

}  // namespace

LearningLoop::LearningLoop(store::Cluster& cluster, std::shared_ptr<const lazyload::FenceConfig> config)
    : cluster_(cluster), config_(std::move(config)) {
  repair_thread_ = std::thread([this] {
    std::unique_lock lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(20), [this] { return stopping_; })) {
      lock.unlock();
      repair();
      lock.lock();
    }
  });
}

LearningLoop::~LearningLoop() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  repair_thread_.join();
}

void LearningLoop::rebuild_index_if_needed(const core::Snapshot& snapshot,
                                           const std::vector<lazyload::AccessEvent>& events) {
  auto now = std::chrono::steady_clock::now();
  bool rebuild = !index_ || now - index_built_ > std::chrono::seconds(5);
  if (!rebuild && now - index_built_ > std::chrono::milliseconds(100)) {
    for (const auto& e : events)
      if (!index_->services_of(e.source_ip) && !index_->workload_fence_of(e.source_ip)) {
        rebuild = true;
        break;
      }
  }
  if (!rebuild) return;
  index_ = lazyload::SourceIndex::build(snapshot, *config_);
  index_built_ = now;
}

namespace {

// Whether the store's learned part still has every dependency we wrote (another writer, e.g. the fence
// reconcile applying a status computed from an older snapshot, may have put an older map back).
bool covers(const core::Json& store_learned, const core::Json& ours) {
  auto mine = ours.find("metricStatus");
  if (mine == ours.end() || !mine->is_object()) return true;
  auto theirs = store_learned.find("metricStatus");
  if (theirs == store_learned.end() || !theirs->is_object()) return mine->empty();
  for (auto& [k, v] : mine->items())
    if (!theirs->contains(k)) return false;
  return true;
}

// `current` status with our learned maps merged in (ours win for the keys they hold).
core::Json merged_status(const core::Json& current, const core::Json& ours) {
  core::Json status = current.is_object() ? current : core::Json::object();
  for (auto& [field, map] : ours.items()) {
    auto& target = status[field];
    if (!target.is_object()) target = core::Json::object();
    for (auto& [k, v] : map.items()) target[k] = v;
  }
  return status;
}

constexpr auto kGuard = std::chrono::seconds(3);

}  // namespace

void LearningLoop::apply(std::vector<Write>& writes) {
  auto now = std::chrono::steady_clock::now();
  for (auto& w : writes) {
    if (auto r = cluster_.apply_status(w.target, w.status); !r) {
      stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("learning: status write failed fence={} error={}", w.target.ref(), r.error().str());
      continue;
    }
    stats_.status_writes.fetch_add(1, std::memory_order_relaxed);
    written_[w.target.key()] = Written{learned_part(w.status), now};
    spdlog::info("learning: fence={} learned dependencies={}", w.target.ref(),
                 w.status.contains("metricStatus") ? w.status["metricStatus"].size() : 0);
  }
}

void LearningLoop::on_batch(metric::AccessLogBatch&& batch) {
  std::vector<lazyload::AccessEvent> events;
  events.reserve(batch.size());
  auto now = std::chrono::system_clock::now();
  for (auto& e : batch)
    events.push_back(lazyload::AccessEvent{std::move(e.source_ip), {}, std::move(e.upstream_cluster),
                                           std::move(e.authority), now});
  stats_.batches.fetch_add(1, std::memory_order_relaxed);
  stats_.events.fetch_add(events.size(), std::memory_order_relaxed);

  std::lock_guard lock(mu_);
  std::vector<Write> writes;
  cluster_.store().read([&](const core::Snapshot& snapshot) {
    rebuild_index_if_needed(snapshot, events);
    // Lay what we wrote over fences whose stored status does not show it (yet, or any more).
    std::map<core::ObjectKey, core::Object> overlay;
    for (auto& [key, w] : written_) {
      const auto* cur = snapshot.get(key);
      if (!cur || covers(learned_part(cur->status()), w.learned)) continue;
      core::Object patched = *cur;
      patched.json()["status"] = merged_status(cur->status(), w.learned);
      overlay.emplace(key, std::move(patched));
    }
    OverlaySnapshot view(snapshot, overlay);
    auto result = lazyload::ingest(view, *config_, *index_, events, now);
    stats_.recorded.fetch_add(result.stats.recorded, std::memory_order_relaxed);
    for (auto& s : result.statuses) {
      const auto* target = view.get(s.key);
      if (!target) continue;
      writes.push_back({*target, std::move(s.status)});
    }
  });
  apply(writes);
}

core::Result<size_t> LearningLoop::reset(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  std::vector<Write> writes;
  cluster_.store().read([&](const core::Snapshot& snapshot) {
    for (const core::Object* fence : snapshot.list(lazyload::kServiceFenceGk, ns)) {
      if (!name.empty() && fence->name() != name) continue;
      written_.erase(fence->key());
      core::Json status = fence->status().is_object() ? fence->status() : core::Json::object();
      bool learned = status.contains("metricStatus") && !status["metricStatus"].empty();
      status.erase("metricLastSeen");
      if (!learned && status == fence->status()) continue;  // nothing learned: nothing to write
      status.erase("metricStatus");  // an empty map is omitted, as the original encodes it
      writes.push_back({*fence, std::move(status)});
    }
  });
  size_t reset = 0;
  for (auto& w : writes) {
    if (auto r = cluster_.apply_status(w.target, w.status); !r) return std::unexpected(r.error());
    ++reset;
    spdlog::info("learning: reset fence={}", w.target.ref());
  }
  return reset;
}

void LearningLoop::repair() {
  std::lock_guard lock(mu_);
  if (written_.empty()) return;
  auto now = std::chrono::steady_clock::now();
  std::vector<Write> writes;
  cluster_.store().read([&](const core::Snapshot& snapshot) {
    for (auto it = written_.begin(); it != written_.end();) {
      const auto* cur = snapshot.get(it->first);
      if (!cur) {
        it = written_.erase(it);
        continue;
      }
      if (!covers(learned_part(cur->status()), it->second.learned)) {
        stats_.repairs.fetch_add(1, std::memory_order_relaxed);
        writes.push_back({*cur, merged_status(cur->status(), it->second.learned)});
      } else if (now - it->second.at > kGuard) {
        it = written_.erase(it);  // stable for long enough: stale writers have had their turn
        continue;
      }
      ++it;
    }
  });
  apply(writes);
}

}  // namespace slime::learning

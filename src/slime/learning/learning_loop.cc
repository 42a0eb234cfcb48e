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
    : cluster_(cluster), config_(std::move(config)) {}

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
  struct Write {
    core::Object target;
    core::Json status;
  };
  std::vector<Write> writes;
  cluster_.store().read([&](const core::Snapshot& snapshot) {
    rebuild_index_if_needed(snapshot, events);
    // Drop overlay entries the store has caught up with; lay the others over their fences.
    std::map<core::ObjectKey, core::Object> overlay;
    for (auto it = written_.begin(); it != written_.end();) {
      const auto* cur = snapshot.get(it->first);
      if (!cur || learned_part(cur->status()) == it->second) {
        it = written_.erase(it);
        continue;
      }
      core::Object patched = *cur;
      auto& status = patched.json()["status"];
      if (!status.is_object()) status = core::Json::object();
      for (auto& [k, v] : it->second.items()) status[k] = v;
      overlay.emplace(it->first, std::move(patched));
      ++it;
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
  for (auto& w : writes) {
    if (auto r = cluster_.apply_status(w.target, w.status); !r) {
      stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("learning: status write failed fence={} error={}", w.target.ref(), r.error().str());
      continue;
    }
    stats_.status_writes.fetch_add(1, std::memory_order_relaxed);
    written_[w.target.key()] = learned_part(w.status);
    spdlog::info("learning: fence={} learned dependencies={}", w.target.ref(),
                 w.status.contains("metricStatus") ? w.status["metricStatus"].size() : 0);
  }
}

}  // namespace slime::learning

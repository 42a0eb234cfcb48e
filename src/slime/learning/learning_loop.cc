#include "slime/learning/learning_loop.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "slime/modules/lazyload/names.h"

namespace slime::learning {

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

std::vector<core::ObjectKey> LearningLoop::fold(const std::vector<lazyload::AccessEvent>& events) {
  std::vector<Write> writes;
  auto now = events.empty() ? std::chrono::system_clock::now() : events.front().at;
  cluster_.store().read([&](const core::Snapshot& snapshot) {
    rebuild_index_if_needed(snapshot, events);
    auto result = lazyload::ingest(snapshot, *config_, *index_, events, now);
    stats_.recorded.fetch_add(result.stats.recorded, std::memory_order_relaxed);
    for (auto& s : result.statuses)
      if (const auto* target = snapshot.get(s.key)) writes.push_back({*target, std::move(s.status)});
  });
  std::vector<core::ObjectKey> failed;
  for (auto& w : writes) {
    if (auto r = cluster_.apply_status(w.target, w.status); !r) {
      failed.push_back(w.target.key());
      spdlog::debug("learning: status write failed fence={} error={}", w.target.ref(), r.error().str());
      continue;
    }
    stats_.status_writes.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("learning: fence={} learned dependencies={}", w.target.ref(),
                 w.status.contains("metricStatus") ? w.status["metricStatus"].size() : 0);
  }
  return failed;
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
  // A write that lost a race is folded again on the fresher copy (the store has it once the competing
  // write is applied or its watch event arrives): a few quick attempts, then the failure is reported.
  constexpr int kAttempts = 8;
  std::vector<core::ObjectKey> failed;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    failed = fold(events);
    if (failed.empty()) return;
    stats_.conflicts.fetch_add(failed.size(), std::memory_order_relaxed);
    std::this_thread::sleep_for(std::chrono::milliseconds(2) * (1 << attempt));
  }
  stats_.write_errors.fetch_add(failed.size(), std::memory_order_relaxed);
  for (const auto& k : failed)
    spdlog::warn("learning: giving up on a status write after {} attempts fence={}/{}", kAttempts, k.ns, k.name);
}

core::Result<size_t> LearningLoop::reset(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  // Conditional writes like a batch: a reset racing with a fence reconcile is simply read again.
  for (int attempt = 0;; ++attempt) {
    std::vector<Write> writes;
    cluster_.store().read([&](const core::Snapshot& snapshot) {
      for (auto& s : lazyload::reset_learned(snapshot, ns, name))
        if (const auto* target = snapshot.get(s.key)) writes.push_back({*target, std::move(s.status)});
    });
    size_t reset = 0;
    core::Error last;
    for (auto& w : writes) {
      if (auto r = cluster_.apply_status(w.target, w.status); !r) {
        last = r.error();
        continue;
      }
      ++reset;
      spdlog::info("learning: reset fence={}", w.target.ref());
    }
    if (reset == writes.size()) return reset;
    if (attempt == 7) return std::unexpected(last);
    std::this_thread::sleep_for(std::chrono::milliseconds(2) * (1 << attempt));
  }
}

}  // namespace slime::learning

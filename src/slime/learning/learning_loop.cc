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

LearningLoop::Settled LearningLoop::write_settled(const Plan& plan, std::string_view what) {
  // Conditional writes: one that lost a race (a fence reconcile wrote first) is planned again on the
  // fresher copy — the store has it once the competing write is applied or its watch event arrives. A few
  // quick attempts; planning again is harmless because what is already written plans nothing.
  constexpr int kAttempts = 8;
  Settled out;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::vector<Write> writes;
    cluster_.store().read([&](const core::Snapshot& snapshot) {
      for (auto& s : plan(snapshot))
        if (const auto* target = snapshot.get(s.key)) writes.push_back({*target, std::move(s.status)});
    });
    out.failed.clear();
    for (auto& w : writes) {
      if (auto r = cluster_.apply_status(w.target, w.status); !r) {
        spdlog::debug("learning: status write failed fence={} error={}", w.target.ref(), r.error().str());
        out.failed.push_back(w.target.key());
        out.last_error = r.error();
        continue;
      }
      ++out.written;
      stats_.status_writes.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("learning: {} fence={} dependencies={}", what, w.target.ref(),
                   w.status.contains("metricStatus") ? w.status["metricStatus"].size() : 0);
    }
    if (out.failed.empty()) return out;
    stats_.conflicts.fetch_add(out.failed.size(), std::memory_order_relaxed);
    if (attempt + 1 < kAttempts) std::this_thread::sleep_for(std::chrono::milliseconds(2) * (1 << attempt));
  }
  stats_.write_errors.fetch_add(out.failed.size(), std::memory_order_relaxed);
  for (const auto& k : out.failed)
    spdlog::warn("learning: giving up on a status write after {} attempts fence={}/{}", kAttempts, k.ns, k.name);
  return out;
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
  // Of the last planning attempt: counted once per batch, however many attempts the writes take.
  std::vector<core::ObjectKey> capped;
  lazyload::IngestStats last;
  write_settled(
      [&](const core::Snapshot& snapshot) {
        rebuild_index_if_needed(snapshot, events);
        auto result = lazyload::ingest(snapshot, *config_, *index_, events, now);
        stats_.recorded.fetch_add(result.stats.recorded, std::memory_order_relaxed);
        capped = std::move(result.capped_fences);
        last = result.stats;
        return std::move(result.statuses);
      },
      "learned");
  stats_.dropped_at_cap.fetch_add(last.dropped_at_cap, std::memory_order_relaxed);
  stats_.not_mesh.fetch_add(last.skipped_not_mesh, std::memory_order_relaxed);
  report_capped(capped);
}

void LearningLoop::report_capped(const std::vector<core::ObjectKey>& fences) {
  for (const auto& key : fences) {
    if (!capped_.insert(key.ns + "/" + key.name).second) continue;
    stats_.fences_at_cap.fetch_add(1, std::memory_order_relaxed);
    std::optional<core::Object> fence;
    cluster_.store().read([&](const core::Snapshot& snapshot) {
      if (const auto* f = snapshot.get(key)) fence = *f;
    });
    std::string message = "learned hosts reached maxLearnedHostsPerFence (" +
                          std::to_string(config_->max_learned_hosts) +
                          "): further hosts are not added to status.metricStatus; raise the limit, set a "
                          "dependencyTtl, or reset the fence (POST /lazyload/debug/svfReset)";
    spdlog::warn("learning: fence={}/{} {}", key.ns, key.name, message);
    if (fence) cluster_.record_problem(*fence, "LearnedHostsCapped", message);
  }
}

core::Result<size_t> LearningLoop::reset(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  // A reset fence may fill up again: report it again then.
  std::erase_if(capped_, [&](const std::string& k) { return name.empty() ? k.starts_with(ns + "/") : k == ns + "/" + name; });
  auto settled = write_settled(
      [&](const core::Snapshot& snapshot) { return lazyload::reset_learned(snapshot, ns, name); }, "reset");
  if (!settled.failed.empty()) return std::unexpected(settled.last_error);
  return settled.written;
}

}  // namespace slime::learning

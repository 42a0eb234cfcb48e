#pragma once
// Feeds access-log events into lazyload's pure ingestion (spec §5.10) the moment they arrive, and writes
// the resulting ServiceFence statuses through the cluster. The fence status change then reaches the
// lazyload controller like any other change and the caller's Sidecar is re-rendered: no 10 s tick.
//
// Batches are folded one at a time (ingestion reads a status and writes the next one). Status writes are
// conditional on the version that was read, so a concurrent writer (the fence reconcile writes whole
// statuses) can never silently drop a learned dependency: the loser of a race re-reads and folds again.
// Ingestion only adds keys that are new, so folding a batch twice changes nothing.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "slime/core/gvk.h"
#include "slime/core/json.h"
#include "slime/core/module.h"
#include "slime/metric/accesslog/accesslog_event.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/lazyload/ingest.h"
#include "slime/store/cluster.h"

namespace slime::learning {

class LearningLoop {
 public:
  LearningLoop(store::Cluster& cluster, std::shared_ptr<const lazyload::FenceConfig> config);
  LearningLoop(const LearningLoop&) = delete;
  LearningLoop& operator=(const LearningLoop&) = delete;

  // Thread-safe; called by the access-log service for every batch.
  void on_batch(metric::AccessLogBatch&& batch);

  // Forgets what was learned for fence ns/name (every fence of `ns` when `name` is empty): their
  // `status.metricStatus` becomes empty, so their Sidecars shrink back to the static part (the
  // original's /debug/svfReset). Returns the number of fences reset, or an error naming the write that failed.
  core::Result<size_t> reset(const std::string& ns, const std::string& name);

  struct Stats {
    // conflicts: status writes lost to a concurrent writer and folded again on a fresher copy.
    // dropped_at_cap: new hosts a fence refused at maxLearnedHostsPerFence; not_mesh: hosts that are no
    // mesh Service or alias (never learned); fences_at_cap: fences that have hit the cap since start (or reset).
    std::atomic<uint64_t> batches{0}, events{0}, recorded{0}, status_writes{0}, write_errors{0}, conflicts{0},
        dropped_at_cap{0}, not_mesh{0}, fences_at_cap{0};
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Write {
    core::Object target;
    core::Json status;
  };
  // Plans status updates from a snapshot (ingestion, or a reset).
  using Plan = std::function<std::vector<core::StatusUpdate>(const core::Snapshot&)>;
  struct Settled {
    size_t written = 0;
    std::vector<core::ObjectKey> failed;  // still failing after the last attempt
    core::Error last_error;
  };
  // Plans and writes; a write that fails is planned again on a fresher copy, a few times.
  Settled write_settled(const Plan& plan, std::string_view what);
  // One warning and one Event (reason LearnedHostsCapped) on each fence that newly hit the cap.
  void report_capped(const std::vector<core::ObjectKey>& fences);
  void rebuild_index_if_needed(const core::Snapshot& snapshot, const std::vector<lazyload::AccessEvent>& events);

  store::Cluster& cluster_;
  std::shared_ptr<const lazyload::FenceConfig> config_;  // shared: FenceConfig is move-only
  std::mutex mu_;
  // The source index (pod IP -> Services / workload fence) costs a pass over Endpoints and Pods: it is
  // rebuilt when a batch names a caller it does not know (a new pod; at most every 100 ms) and every 5 s.
  std::optional<lazyload::SourceIndex> index_;
  std::chrono::steady_clock::time_point index_built_{};
  // Fences already reported at the cap ("ns/name"): one Event per fence, not one per batch.
  std::set<std::string> capped_;
  Stats stats_;
};

}  // namespace slime::learning

#pragma once
// Feeds access-log events into lazyload's pure ingestion (spec §5.10) the moment they arrive, and writes
// the resulting ServiceFence statuses through the cluster. The fence status change then reaches the
// lazyload controller like any other change and the caller's Sidecar is re-rendered: no 10 s tick.
//
// Batches are folded one at a time (ingestion reads a status and writes the next one). The statuses this
// loop wrote are kept as an overlay until the store shows them, so a batch that arrives before a Kubernetes
// watch has echoed the previous write does not drop what that write added.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <mutex>

#include "slime/core/gvk.h"
#include "slime/core/json.h"
#include "slime/metric/accesslog/accesslog_event.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/lazyload/ingest.h"
#include "slime/store/cluster.h"

namespace slime::learning {

class LearningLoop {
 public:
  LearningLoop(store::Cluster& cluster, std::shared_ptr<const lazyload::FenceConfig> config);

  // Thread-safe; called by the access-log service for every batch.
  void on_batch(metric::AccessLogBatch&& batch);

  struct Stats {
    std::atomic<uint64_t> batches{0}, events{0}, recorded{0}, status_writes{0}, write_errors{0};
  };
  const Stats& stats() const { return stats_; }

 private:
  void rebuild_index_if_needed(const core::Snapshot& snapshot, const std::vector<lazyload::AccessEvent>& events);

  store::Cluster& cluster_;
  std::shared_ptr<const lazyload::FenceConfig> config_;  // shared: FenceConfig is move-only
  std::mutex mu_;
  // The source index (pod IP -> Services / workload fence) costs a pass over Endpoints and Pods: it is
  // rebuilt when a batch names a caller it does not know (a new pod; at most every 100 ms) and every 5 s.
  std::optional<lazyload::SourceIndex> index_;
  std::chrono::steady_clock::time_point index_built_{};
  std::map<core::ObjectKey, core::Json> written_;  // fence -> the learned part of the status we last wrote
  Stats stats_;
};

}  // namespace slime::learning

#pragma once
// Wires a Cluster to one Controller per module: starts feeding the store with every kind a module
// reads or writes, routes store changes to the controllers, and reports readiness (caches synced and
// the first full pass queued). Controllers run only while `set_leading(true)` (leader election, or
// always when election is off).
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "slime/core/module.h"
#include "slime/runtime/controller.h"
#include "slime/runtime/metrics.h"
#include "slime/runtime/reference_watches.h"
#include "slime/store/cluster.h"

namespace slime::runtime {

class Manager {
 public:
  Manager(store::Cluster& cluster, std::vector<core::Module*> modules, Metrics& metrics, ControllerOptions opts = {});
  ~Manager();

  // Gives `module`'s controller a metric source (before start).
  void set_metric_feed(const core::Module* module, std::unique_ptr<MetricFeed> feed);
  // Starts feeding and waits up to `sync_timeout` for the caches; not ready until they are synced.
  core::Result<void> start(std::chrono::milliseconds sync_timeout = std::chrono::seconds(60));
  // Leadership: true starts the controllers and queues every key; false stops them.
  void set_leading(bool leading);
  void stop();
  // After a full pass: deletes objects Slime wrote in an earlier run that no key renders now
  // (their source was deleted while Slime was not running). Returns how many were deleted.
  size_t sweep_orphans();

  bool synced() const { return synced_.load(); }
  bool leading() const { return leading_.load(); }
  // Ready = caches synced (a non-leader replica is ready too: it serves as a hot standby).
  bool ready() const { return synced_.load(); }
  // Every controller has nothing queued and nothing in progress.
  bool idle() const;
  uint64_t reconciles() const;
  const std::vector<std::unique_ptr<Controller>>& controllers() const { return controllers_; }
  store::Cluster& cluster() { return cluster_; }

 private:
  store::Cluster& cluster_;
  std::vector<core::Module*> modules_;
  Metrics& metrics_;
  ControllerOptions opts_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  ReferenceWatches references_;  // kinds read only by reference: one watch per named object
  std::atomic<bool> synced_{false};
  std::atomic<bool> leading_{false};
  std::atomic<bool> routing_{false};  // store changes reach controllers only while leading
};

}  // namespace slime::runtime

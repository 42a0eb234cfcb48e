#pragma once
// Runs one module against a Cluster: changed objects -> the module's reconcile keys -> a rate-limited
// work queue -> workers that call the (pure) module on a consistent snapshot and write back only
// real differences: apply changed objects, prune what the key no longer renders, update statuses,
// report problems. A failed write retries the key with capped exponential backoff.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "slime/core/module.h"
#include "slime/runtime/compat_metrics.h"
#include "slime/runtime/finalizer.h"
#include "slime/runtime/metric_feed.h"
#include "slime/runtime/metrics.h"
#include "slime/runtime/owned_keys.h"
#include "slime/runtime/work_queue.h"
#include "slime/store/cluster.h"

namespace slime::runtime {

struct ControllerOptions {
  int workers = 8;
  WorkQueue::Options queue;
};

class Controller {
 public:
  Controller(core::Module& module, store::Cluster& cluster, Metrics& metrics, ControllerOptions opts = {});
  ~Controller();

  // Answers the module's metric queries (set before start; without one, metrics are never available).
  // While running, a ticker refreshes them every feed period and re-queues the keys whose answers changed.
  void set_metric_feed(std::unique_ptr<MetricFeed> feed) { feed_ = std::move(feed); }
  const MetricFeed* metric_feed() const { return feed_.get(); }
  // One tick of the adaptive loop (the ticker calls it; tests may too). Returns how many keys were queued.
  size_t refresh_metrics();

  // Feeds a store change in (old == null: added; now == null: deleted).
  void on_change(const store::SharedStore::ObjectPtr& old, const store::SharedStore::ObjectPtr& now);
  // Queues every key the module has (start-up and leadership changes).
  void enqueue_all();
  void start();
  void stop();

  std::string kind() const { return std::string(module_.kind()); }
  const WorkQueue& queue() const { return queue_; }
  // True when nothing is queued or being worked on (tests, benchmarks).
  bool idle() const;
  uint64_t reconciles() const { return reconciles_.load(); }
  bool owns(const core::ObjectKey& key);
  bool writes_kind(const core::GroupKind& gk) const { return writes_.count(gk) > 0; }

 private:
  bool reconcile(const std::string& key);  // false: retry later
  // Backends with owner marks: takes over what earlier processes or leaders wrote for this module
  // (owned_ from the marks) and queues those keys, so they prune what they no longer render.
  void adopt_marked();
  void worker();
  void ticker();
  void schedule_revisit(const std::string& key, std::chrono::system_clock::time_point at);
  const core::Object* find_regarding(const core::Snapshot& snap, const core::Error& e) const;

  core::Module& module_;
  core::NoMetrics no_metrics_;  // for keys()/keys_for(), which never read metrics
  std::unique_ptr<MetricFeed> feed_;
  store::Cluster& cluster_;
  Metrics& metrics_;
  CompatMetrics compat_;
  ControllerOptions opts_;
  WorkQueue queue_;
  std::set<core::GroupKind> reads_, writes_;
  std::vector<std::thread> workers_;
  std::thread ticker_;
  std::mutex tick_mu_;
  std::condition_variable tick_cv_;
  bool ticking_ = false;
  std::atomic<uint64_t> reconciles_{0};

  std::mutex owned_mu_;
  std::map<std::string, OwnedKeys> owned_;                      // key -> objects it rendered
  std::map<std::string, std::string> reported_;                 // key -> problems last reported
  std::map<std::string, std::chrono::system_clock::time_point> revisits_;  // key -> next revisit asked for

  std::unique_ptr<Finalizer> finalizer_;  // modules with cleanup(): see finalizer.h
};

}  // namespace slime::runtime

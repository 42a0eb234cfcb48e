#include "slime/runtime/manager.h"

#include <spdlog/spdlog.h>

#include <set>

namespace slime::runtime {

Manager::Manager(store::Cluster& cluster, std::vector<core::Module*> modules, Metrics& metrics, ControllerOptions opts)
    : cluster_(cluster), modules_(std::move(modules)), metrics_(metrics), opts_(opts), references_(cluster_, modules_) {
  metrics_.describe("slime_reconcile_total", Metrics::Type::kCounter, "Reconciles by module and result.");
  metrics_.describe("slime_reconcile_duration_seconds", Metrics::Type::kSummary, "Time spent in one reconcile.");
  metrics_.describe("slime_writes_total", Metrics::Type::kCounter, "Writes to the cluster by module, operation and result.");
  metrics_.describe("slime_problems_total", Metrics::Type::kCounter, "Invalid-resource problems reported.");
  metrics_.describe("slime_workqueue_depth", Metrics::Type::kGauge, "Keys waiting in a module's work queue.");
  metrics_.describe("slime_workqueue_adds_total", Metrics::Type::kCounter, "Keys added to a module's work queue.");
  metrics_.describe("slime_workqueue_retries_total", Metrics::Type::kCounter, "Keys re-queued after a failure.");
  metrics_.describe("slime_workqueue_queue_duration_seconds", Metrics::Type::kSummary,
                    "Time keys wait in the queue before a worker takes them.");
  metrics_.describe("slime_metric_refresh_duration_seconds", Metrics::Type::kSummary,
                    "One adaptive-loop tick: plan, query the metric source, queue changed keys.");
  metrics_.describe("slime_metric_queries_total", Metrics::Type::kCounter, "Metric source queries by module.");
  metrics_.describe("slime_metric_query_failures_total", Metrics::Type::kCounter, "Failed metric source queries.");
  metrics_.describe("framework_submodules_count", Metrics::Type::kGauge, "Modules this process runs (the original's name).");
  metrics_.describe("slime_owner_sweep_failures_total", Metrics::Type::kCounter,
                    "Failed lists of owner-marked objects at start or leadership gain (leftovers wait for the next).");
  metrics_.describe("slime_leader", Metrics::Type::kGauge, "1 while this replica runs the controllers.");
  metrics_.describe("slime_ready", Metrics::Type::kGauge, "1 once the caches are synced.");
  metrics_.describe("slime_store_objects", Metrics::Type::kGauge, "Objects in the controller's cache.");
  metrics_.describe("slime_reference_watches", Metrics::Type::kGauge,
                    "Objects watched by name because a module's input names them (e.g. image pull Secrets).");
  metrics_.describe("slime_reference_watches_over_limit", Metrics::Type::kGauge,
                    "Named objects not watched because the bound on such watches was reached.");
  for (auto* m : modules_) controllers_.push_back(std::make_unique<Controller>(*m, cluster_, metrics_, opts_));
  metrics_.add_collector([this](Metrics& m) {
    for (auto& c : controllers_) {
      Labels l{{"module", c->kind()}};
      auto st = c->queue().stats();
      m.set("slime_workqueue_depth", l, static_cast<double>(c->queue().depth()));
      m.set("slime_workqueue_adds_total", l, static_cast<double>(st.adds));
      m.set("slime_workqueue_retries_total", l, static_cast<double>(st.retries));
      m.set("slime_workqueue_queue_duration_seconds_sum", l, st.wait_seconds_sum);
      m.set("slime_workqueue_queue_duration_seconds_count", l, static_cast<double>(st.wait_count));
      if (const MetricFeed* feed = c->metric_feed()) {
        m.set("slime_metric_queries_total", l, static_cast<double>(feed->stats().queries.load()));
        m.set("slime_metric_query_failures_total", l, static_cast<double>(feed->stats().failures.load()));
      }
    }
    m.set("framework_submodules_count", {}, static_cast<double>(controllers_.size()));
    m.set("slime_leader", {}, leading_ ? 1 : 0);
    m.set("slime_ready", {}, ready() ? 1 : 0);
    m.set("slime_store_objects", {}, static_cast<double>(cluster_.store().size()));
    m.set("slime_reference_watches", {}, static_cast<double>(references_.watched()));
    m.set("slime_reference_watches_over_limit", {}, static_cast<double>(references_.over_limit()));
  });
}

Manager::~Manager() { stop(); }

void Manager::set_metric_feed(const core::Module* module, std::unique_ptr<MetricFeed> feed) {
  for (size_t i = 0; i < modules_.size(); ++i)
    if (modules_[i] == module) controllers_[i]->set_metric_feed(std::move(feed));
}

core::Result<void> Manager::start(std::chrono::milliseconds sync_timeout) {
  // Cache only what the modules read: kinds none of them needs with this configuration are not watched,
  // and the rest is cut down to the declared parts (core/projection.h).
  std::vector<const core::Module*> modules(modules_.begin(), modules_.end());
  auto projection = core::Projection::of(modules);
  std::set<core::GroupKind> kinds;
  for (auto* m : modules_) {
    for (auto& gk : m->reads())
      if (projection.needed(gk) && !references_.by_reference().contains(gk)) kinds.insert(gk);
    for (auto& gk : m->writes()) kinds.insert(gk);
  }
  cluster_.set_projection(std::move(projection));
  cluster_.store().subscribe([this](const store::SharedStore::ObjectPtr& old, const store::SharedStore::ObjectPtr& now) {
    // Followed by every replica, leader or not: a standby's cache must be as complete as the leader's.
    // Outside any store read: the references a module finds in a packed object need its tree.
    core::UnpackScope scope;
    references_.on_change(old, now);
    if (!routing_) return;
    for (auto& c : controllers_) c->on_change(old, now);
  });
  if (auto r = cluster_.start(kinds); !r) return r;
  if (!cluster_.wait_synced(sync_timeout)) return core::fail("caches of " + cluster_.describe() + " not synced in time");
  synced_ = true;
  spdlog::info("caches synced source=\"{}\" objects={}", cluster_.describe(), cluster_.store().size());
  return {};
}

void Manager::set_leading(bool leading) {
  if (leading == leading_.exchange(leading)) return;
  if (leading) {
    spdlog::info("starting controllers modules={}", controllers_.size());
    routing_ = true;
    for (auto& c : controllers_) {
      c->start();
      c->enqueue_all();
    }
  } else {
    spdlog::info("stopping controllers (leadership lost)");
    routing_ = false;
    for (auto& c : controllers_) c->stop();
  }
}

void Manager::stop() {
  routing_ = false;
  for (auto& c : controllers_) c->stop();
  cluster_.stop();
}

size_t Manager::sweep_orphans() {
  size_t n = 0;
  for (const auto& key : cluster_.written_by_slime()) {
    bool written_kind = false, owned = false;
    for (auto& c : controllers_) {
      written_kind |= c->writes_kind(key.gk);
      owned |= c->owns(key);
    }
    if (!written_kind || owned) continue;
    auto obj = cluster_.store().find(key);
    if (!obj) continue;
    if (auto r = cluster_.remove(*obj); r) {
      ++n;
      spdlog::info("pruned orphan object=\"{}\"", obj->ref());
    }
  }
  return n;
}

bool Manager::idle() const {
  for (auto& c : controllers_)
    if (!c->idle()) return false;
  return true;
}

uint64_t Manager::reconciles() const {
  uint64_t n = 0;
  for (auto& c : controllers_) n += c->reconciles();
  return n;
}

}  // namespace slime::runtime

// Adopting owner-marked objects while the workers already run (start-up, leadership gain): a key that is
// being reconciled when its marked objects are adopted must still prune them. Found by the envtest
// fault "slime killed between writes": the finishing reconcile overwrote the adopted set with what it
// had rendered (nothing), so a SmartLimiter switched off while no Slime ran kept its EnvoyFilter.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "slime/core/yaml.h"
#include "slime/runtime/controller.h"
#include "slime/store/owner_marks.h"

namespace slime::runtime {
namespace {

using namespace std::chrono_literals;

const core::GroupKind kThing{"example.io", "Thing"};
const core::GroupKind kOut{"example.io", "Out"};

core::Object object(const std::string& yaml) { return core::Object(*core::parse_yaml(yaml)); }

// Its one key renders nothing now (an earlier process rendered Out "left-over" for it). The first
// reconcile waits until the controller has listed the marked objects, and a little more, so that the
// adoption happens while it runs.
class SwitchedOffModule final : public core::Module {
 public:
  explicit SwitchedOffModule(const std::atomic<bool>& listed) : listed_(listed) {}
  std::string_view kind() const override { return "switched-off"; }
  std::vector<core::GroupKind> reads() const override { return {kThing}; }
  std::vector<core::GroupKind> writes() const override { return {kOut}; }
  core::Result<void> configure(const core::ModuleConfig&) override { return {}; }
  std::vector<std::string> keys(const core::RenderContext&) const override { return {"k"}; }
  std::vector<std::string> keys_for(const core::RenderContext&, const core::Object&) const override { return {"k"}; }
  core::ModuleOutput reconcile(const core::RenderContext&, std::string_view) const override {
    if (runs++ == 0) {
      for (int i = 0; i < 500 && !listed_; ++i) std::this_thread::sleep_for(2ms);
      std::this_thread::sleep_for(50ms);
    }
    return {};
  }
  mutable std::atomic<int> runs{0};

 private:
  const std::atomic<bool>& listed_;
};

class MarkingCluster final : public store::Cluster {
 public:
  core::Result<void> start(const std::set<core::GroupKind>&) override { return {}; }
  bool wait_synced(std::chrono::milliseconds) override { return true; }
  void stop() override {}
  store::SharedStore& store() override { return store_; }
  core::Result<void> apply(const core::Object&) override { return {}; }
  core::Result<void> remove(const core::Object& existing) override {
    std::lock_guard lock(mu);
    removed.push_back(existing.name());
    store_.remove(existing.key());
    return {};
  }
  core::Result<void> apply_status(const core::Object&, const core::Json&) override { return {}; }
  void record_problem(const core::Object&, const std::string&, const std::string&) override {}
  void record_event(const core::Object&, const std::string&, const std::string&, const std::string&) override {}
  std::string describe() const override { return "marking"; }
  bool marks_owners() const override { return true; }
  core::Result<std::vector<core::Object>> list_owned(std::string_view, const std::set<core::GroupKind>&) override {
    std::vector<core::Object> out;
    if (auto o = store_.find({kOut, "default", "left-over"})) out.push_back(*o);
    listed = true;
    return out;
  }

  std::atomic<bool> listed{false};
  std::mutex mu;
  std::vector<std::string> removed;

 private:
  store::SharedStore store_;
};

TEST(ControllerAdopt, KeyReconcilingWhileItsMarkedObjectsAreAdoptedStillPrunesThem) {
  MarkingCluster cluster;
  core::Object thing = object("{apiVersion: example.io/v1, kind: Thing, metadata: {name: a, namespace: default}}");
  cluster.store().put(thing);
  core::Object left = object("{apiVersion: example.io/v1, kind: Out, metadata: {name: left-over, namespace: default}}");
  store::mark_owner(left, "switched-off", "k");
  cluster.store().put(left);

  SwitchedOffModule module(cluster.listed);
  Metrics metrics;
  ControllerOptions opts;
  opts.workers = 2;
  Controller c(module, cluster, metrics, opts);
  c.start();
  // A change queues the key before the controller adopts (as informer events do on leadership gain).
  auto ptr = std::make_shared<const core::Object>(thing);
  c.on_change(nullptr, ptr);
  for (int i = 0; i < 200 && module.runs == 0; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_GT(module.runs, 0);
  c.enqueue_all();
  bool pruned = false;
  for (int i = 0; i < 200 && !pruned; ++i) {
    std::this_thread::sleep_for(10ms);
    std::lock_guard lock(cluster.mu);
    pruned = !cluster.removed.empty();
  }
  c.stop();
  std::lock_guard lock(cluster.mu);
  EXPECT_EQ(cluster.removed, std::vector<std::string>{"left-over"}) << "runs " << module.runs;
}

}  // namespace
}  // namespace slime::runtime

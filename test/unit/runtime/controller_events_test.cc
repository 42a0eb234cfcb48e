// The module output's events and revisit_at under the controller: an Event is recorded once its status
// is written (not when the write failed), and a key asking for a revisit is reconciled again at that
// time with nothing else changing.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "slime/core/yaml.h"
#include "slime/runtime/controller.h"

namespace slime::runtime {
namespace {

using namespace std::chrono_literals;

const core::GroupKind kThing{"example.io", "Thing"};

// Counts its reconciles; each one writes status {n} and reports an Event, and asks for a revisit 30 ms
// later until it has run `revisits` + 1 times.
class TickingModule final : public core::Module {
 public:
  std::string_view kind() const override { return "ticking"; }
  std::vector<core::GroupKind> reads() const override { return {kThing}; }
  std::vector<core::GroupKind> writes() const override { return {}; }
  core::Result<void> configure(const core::ModuleConfig&) override { return {}; }
  std::vector<std::string> keys(const core::RenderContext&) const override { return {"thing"}; }
  std::vector<std::string> keys_for(const core::RenderContext&, const core::Object&) const override { return {}; }
  core::ModuleOutput reconcile(const core::RenderContext& ctx, std::string_view) const override {
    int n = ++runs;
    core::ModuleOutput out;
    core::ObjectKey key{kThing, "default", "a"};
    out.statuses.push_back({key, core::Json{{"n", n}}});
    out.events.push_back({key, "Normal", "Ran", "run " + std::to_string(n)});
    if (n <= revisits) out.revisit_at = ctx.now + 30ms;
    return out;
  }
  mutable std::atomic<int> runs{0};
  int revisits = 3;
};

class EventCluster final : public store::Cluster {
 public:
  core::Result<void> start(const std::set<core::GroupKind>&) override { return {}; }
  bool wait_synced(std::chrono::milliseconds) override { return true; }
  void stop() override {}
  store::SharedStore& store() override { return store_; }
  core::Result<void> apply(const core::Object&) override { return {}; }
  core::Result<void> remove(const core::Object&) override { return {}; }
  core::Result<void> apply_status(const core::Object& target, const core::Json& status) override {
    if (fail_status) return core::fail("conflict");
    core::Object updated = target;
    updated.json()["status"] = status;
    store_.put(std::move(updated));
    return {};
  }
  void record_problem(const core::Object&, const std::string&, const std::string&) override {}
  void record_event(const core::Object& regarding, const std::string& type, const std::string& reason,
                    const std::string& message) override {
    std::lock_guard lock(mu);
    events.push_back(regarding.name() + " " + type + " " + reason + ": " + message);
  }
  std::string describe() const override { return "events"; }

  std::mutex mu;
  std::vector<std::string> events;
  std::atomic<bool> fail_status{false};

 private:
  store::SharedStore store_;
};

class ControllerEvents : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.store().put(core::Object(*core::parse_yaml("{apiVersion: example.io/v1, kind: Thing, metadata: {name: a, namespace: default}}")));
  }
  static ControllerOptions one_worker() {
    ControllerOptions o;
    o.workers = 1;
    return o;
  }
  bool wait_for_runs(int n) {
    for (int i = 0; i < 400 && module_.runs < n; ++i) std::this_thread::sleep_for(10ms);
    return module_.runs >= n;
  }
  TickingModule module_;
  EventCluster cluster_;
  Metrics metrics_;
};

TEST_F(ControllerEvents, RevisitsAtTheAskedTimeAndRecordsEachEventOnce) {
  Controller c(module_, cluster_, metrics_, one_worker());
  c.start();
  c.enqueue_all();
  ASSERT_TRUE(wait_for_runs(4)) << "runs " << module_.runs;
  // No revisit asked after the fourth run: it stays at four (no key is added by anything else).
  for (int i = 0; i < 20 && !c.idle(); ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(100ms);
  c.stop();
  EXPECT_EQ(module_.runs, 4);
  std::lock_guard lock(cluster_.mu);
  EXPECT_EQ(cluster_.events, (std::vector<std::string>{"a Normal Ran: run 1", "a Normal Ran: run 2", "a Normal Ran: run 3",
                                                      "a Normal Ran: run 4"}));
}

TEST_F(ControllerEvents, NoEventWhenTheStatusWriteFailed) {
  cluster_.fail_status = true;
  module_.revisits = 0;
  Controller c(module_, cluster_, metrics_, one_worker());
  c.start();
  c.enqueue_all();
  ASSERT_TRUE(wait_for_runs(2));  // the failed write retries the key
  cluster_.fail_status = false;
  // The next retry writes the status; nothing queues the key after that.
  for (int i = 0; i < 400 && !c.idle(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(c.idle());
  c.stop();
  std::lock_guard lock(cluster_.mu);
  ASSERT_EQ(cluster_.events.size(), 1u) << ::testing::PrintToString(cluster_.events);
  EXPECT_EQ(cluster_.events[0], "a Normal Ran: run " + std::to_string(module_.runs.load()));
}

}  // namespace
}  // namespace slime::runtime

// Clean-up on delete: the pure planner (which objects belong to a deleted resource, when the finalizer
// is added or released) and Finalizer::execute's ordering against a recording Cluster.
#include "slime/runtime/finalizer.h"

#include <gtest/gtest.h>

#include "slime/core/yaml.h"
#include "slime/store/memory_store.h"

namespace slime::runtime {
namespace {

using core::GroupKind;
using core::Object;
using core::ObjectKey;

const GroupKind kOwnerKind{"config.netease.com", "SlimeBoot"};
const GroupKind kConfigMap{"", "ConfigMap"};
const GroupKind kDeployment{"apps", "Deployment"};
const GroupKind kSecret{"", "Secret"};
const core::Cleanup kCleanup{kOwnerKind, "slime.io/slimeboot-cleanup", "slime.io/slimeboot"};
const std::set<GroupKind> kWritten{kConfigMap, kDeployment};

Object yaml(const std::string& text) { return Object(core::parse_yaml(text).value()); }

Object owner(const std::string& name, const std::string& extra_meta = "") {
  return yaml("{apiVersion: config.netease.com/v1alpha1, kind: SlimeBoot, metadata: {name: " + name +
              ", namespace: ops, resourceVersion: '7'" + extra_meta + "}}");
}

Object written(const std::string& api, const std::string& kind, const std::string& name, const std::string& owner_key) {
  std::string ann = owner_key.empty() ? "" : ", annotations: {slime.io/slimeboot: " + owner_key + "}";
  return yaml("{apiVersion: " + api + ", kind: " + kind + ", metadata: {name: " + name + ", namespace: ops" + ann + "}}");
}

std::vector<std::string> names(const std::vector<Object>& objs) {
  std::vector<std::string> out;
  for (const auto& o : objs) out.push_back(o.kind() + "/" + o.name());
  return out;
}

// Two SlimeBoots' worth of objects, plus one without annotation and one of a kind the module does not write.
store::MemoryStore world() {
  store::MemoryStore s;
  s.put(written("v1", "ConfigMap", "a", "ops/a"));
  s.put(written("apps/v1", "Deployment", "a", "ops/a"));
  s.put(written("v1", "ConfigMap", "b", "ops/b"));
  s.put(written("v1", "ConfigMap", "user", ""));
  s.put(written("v1", "Secret", "a", "ops/a"));
  return s;
}

const CleanupBackend kKube{true, true};
const auto kNothingHandled = [](const ObjectKey&) { return false; };

TEST(CleanupPlan, ResourceKeyIsNamespaceSlashName) {
  EXPECT_EQ(cleanup_resource_key(kOwnerKind, "ops/a"), (ObjectKey{kOwnerKind, "ops", "a"}));
  EXPECT_EQ(cleanup_resource_key(kOwnerKind, "cluster-wide"), (ObjectKey{kOwnerKind, "", "cluster-wide"}));
}

TEST(CleanupPlan, AddsTheFinalizerToALiveResourceKeepingOthers) {
  auto s = world();
  s.put(owner("a", ", finalizers: [example.com/other]"));
  auto plan = plan_cleanup(s, kCleanup, kWritten, "ops/a", kNothingHandled, kKube);
  ASSERT_TRUE(plan.finalizers.has_value());
  EXPECT_EQ(*plan.finalizers, (std::vector<std::string>{"example.com/other", "slime.io/slimeboot-cleanup"}));
  ASSERT_TRUE(plan.resource.has_value());
  EXPECT_EQ(plan.resource->resource_version(), "7");
  EXPECT_TRUE(plan.remove.empty()) << "a live resource keeps its objects";
}

TEST(CleanupPlan, NothingToDoWhenTheFinalizerIsThereOrTheBackendHasNone) {
  auto s = world();
  s.put(owner("a", ", finalizers: [slime.io/slimeboot-cleanup]"));
  s.put(owner("b"));
  auto plan = plan_cleanup(s, kCleanup, kWritten, "ops/a", kNothingHandled, kKube);
  EXPECT_FALSE(plan.finalizers.has_value());
  EXPECT_TRUE(plan.remove.empty());
  auto no_finalizers = plan_cleanup(s, kCleanup, kWritten, "ops/b", kNothingHandled, CleanupBackend{false, true});
  EXPECT_FALSE(no_finalizers.finalizers.has_value());
  EXPECT_TRUE(no_finalizers.remove.empty());
}

TEST(CleanupPlan, ADeletingResourceLosesItsObjectsThenOurFinalizerOnly) {
  auto s = world();
  s.put(owner("a", ", deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [slime.io/slimeboot-cleanup, example.com/other]"));
  auto plan = plan_cleanup(s, kCleanup, kWritten, "ops/a", kNothingHandled, kKube);
  // Only objects of written kinds annotated with exactly this key (not b's, not the user's, not the Secret).
  EXPECT_EQ(names(plan.remove), (std::vector<std::string>{"ConfigMap/a", "Deployment/a"}));
  ASSERT_TRUE(plan.finalizers.has_value());
  EXPECT_EQ(*plan.finalizers, std::vector<std::string>{"example.com/other"});
}

TEST(CleanupPlan, ObjectsTheControllerHandlesAreLeftToIt) {
  auto s = world();
  s.put(owner("a", ", deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [slime.io/slimeboot-cleanup]"));
  auto plan = plan_cleanup(s, kCleanup, kWritten, "ops/a",
                           [](const ObjectKey& k) { return k == ObjectKey{kDeployment, "ops", "a"}; }, kKube);
  EXPECT_EQ(names(plan.remove), std::vector<std::string>{"ConfigMap/a"});
  ASSERT_TRUE(plan.finalizers.has_value());
  EXPECT_TRUE(plan.finalizers->empty());
}

TEST(CleanupPlan, ADeletingResourceWithoutOurFinalizerStillLosesItsObjects) {
  auto s = world();
  s.put(owner("a", ", deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [example.com/other]"));
  auto plan = plan_cleanup(s, kCleanup, kWritten, "ops/a", kNothingHandled, kKube);
  EXPECT_EQ(names(plan.remove), (std::vector<std::string>{"ConfigMap/a", "Deployment/a"}));
  EXPECT_FALSE(plan.finalizers.has_value()) << "never adds a finalizer to a resource being deleted";
}

TEST(CleanupPlan, AGoneResourceLosesItsObjectsOnlyWhenItsAbsenceIsCertain) {
  auto s = world();
  auto plan = plan_cleanup(s, kCleanup, kWritten, "ops/a", kNothingHandled, kKube);
  EXPECT_EQ(names(plan.remove), (std::vector<std::string>{"ConfigMap/a", "Deployment/a"}));
  EXPECT_FALSE(plan.finalizers.has_value());
  // Kind not read yet, or namespace not watched: absence proves nothing.
  auto unsure = plan_cleanup(s, kCleanup, kWritten, "ops/a", kNothingHandled, CleanupBackend{true, false});
  EXPECT_TRUE(unsure.remove.empty());
}

TEST(CleanupPlan, OrphanedKeysAreThoseWhoseResourceIsGone) {
  auto s = world();
  s.put(owner("b"));
  s.put(written("v1", "ConfigMap", "a2", "ops/a"));  // a second object of the same owner: one key
  s.put(written("v1", "ConfigMap", "c", "elsewhere/c"));
  auto all = orphaned_cleanup_keys(s, kCleanup, kWritten, [](const ObjectKey&) { return true; });
  EXPECT_EQ(all, (std::vector<std::string>{"elsewhere/c", "ops/a"}));
  auto watched = orphaned_cleanup_keys(s, kCleanup, kWritten, [](const ObjectKey& k) { return k.ns == "ops"; });
  EXPECT_EQ(watched, std::vector<std::string>{"ops/a"});
}

// Records writes; fails the deletes and finalizer updates it is told to.
class RecordingCluster final : public store::Cluster {
 public:
  core::Result<void> start(const std::set<GroupKind>&) override { return {}; }
  bool wait_synced(std::chrono::milliseconds) override { return true; }
  void stop() override {}
  store::SharedStore& store() override { return store_; }
  core::Result<void> apply(const Object&) override { return {}; }
  core::Result<void> remove(const Object& o) override {
    calls.push_back("delete " + o.kind() + "/" + o.name());
    if (fail_deletes) return core::fail("refused");
    return {};
  }
  core::Result<void> apply_status(const Object&, const core::Json&) override { return {}; }
  void record_problem(const Object&, const std::string&, const std::string&) override {}
  std::string describe() const override { return "recording"; }
  bool keeps_finalizers() const override { return true; }
  core::Result<void> set_finalizers(const Object& target, const std::vector<std::string>& f) override {
    std::string list;
    for (const auto& s : f) list += (list.empty() ? "" : ",") + s;
    calls.push_back("finalizers " + target.name() + "@" + target.resource_version() + " [" + list + "]");
    if (fail_finalizers) return core::fail("409 conflict");
    return {};
  }

  std::vector<std::string> calls;
  bool fail_deletes = false;
  bool fail_finalizers = false;

 private:
  store::SharedStore store_;
};

class FinalizerExecute : public ::testing::Test {
 protected:
  CleanupPlan deleting_plan() {
    auto s = world();
    s.put(owner("a", ", deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [slime.io/slimeboot-cleanup]"));
    return fin_.plan(s, "ops/a", {}, {});
  }
  RecordingCluster cluster_;
  Metrics metrics_;
  Finalizer fin_{kCleanup, kWritten, cluster_, metrics_, "boot"};
};

TEST_F(FinalizerExecute, DeletesTheObjectsBeforeReleasingTheFinalizer) {
  EXPECT_TRUE(fin_.execute(deleting_plan(), "ops/a", true));
  EXPECT_EQ(cluster_.calls,
            (std::vector<std::string>{"delete ConfigMap/a", "delete Deployment/a", "finalizers a@7 []"}));
}

TEST_F(FinalizerExecute, KeepsTheFinalizerWhileSomethingFailed) {
  cluster_.fail_deletes = true;
  EXPECT_FALSE(fin_.execute(deleting_plan(), "ops/a", true));
  EXPECT_EQ(cluster_.calls, (std::vector<std::string>{"delete ConfigMap/a", "delete Deployment/a"}));
  cluster_.fail_deletes = false;
  cluster_.calls.clear();
  // The controller's own prunes failed: retry later, finalizer stays.
  EXPECT_FALSE(fin_.execute(deleting_plan(), "ops/a", false));
  EXPECT_EQ(cluster_.calls, (std::vector<std::string>{"delete ConfigMap/a", "delete Deployment/a"}));
}

TEST_F(FinalizerExecute, AddsTheFinalizerWhateverElseFailedAndReportsConflicts) {
  auto s = world();
  s.put(owner("a"));
  auto plan = fin_.plan(s, "ops/a", {}, {});
  EXPECT_TRUE(fin_.execute(plan, "ops/a", false));
  EXPECT_EQ(cluster_.calls, std::vector<std::string>{"finalizers a@7 [slime.io/slimeboot-cleanup]"});
  cluster_.fail_finalizers = true;
  EXPECT_FALSE(fin_.execute(plan, "ops/a", true)) << "a conflict must retry the key";
}

}  // namespace
}  // namespace slime::runtime

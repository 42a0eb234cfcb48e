// The boot module through its Module interface: keys, keys_for, statuses, and an invalid update.
#include <gtest/gtest.h>

#include "slime/core/module.h"
#include "slime/store/memory_store.h"
#include "test_util.h"

namespace slime::boot {
std::unique_ptr<core::Module> make_module();
namespace {

using core::Json;

core::Object object(const std::string& text) { return core::Object(testing::yaml(text)); }

const char* kPlugin = R"(
apiVersion: config.netease.com/v1alpha1
kind: SlimeBoot
metadata: {name: plugin, namespace: mesh-operator, generation: 3}
spec:
  image: {repository: registry.example.com/slime, tag: "1"}
  module: [{name: plugin, kind: plugin, enable: true}]
)";

std::unique_ptr<core::Module> configured(const std::string& general = "{}") {
  auto m = make_module();
  core::ModuleConfig c;
  c.name = c.kind = "boot";
  c.enable = true;
  c.general = testing::yaml(general);
  auto r = m->configure(c);
  EXPECT_TRUE(r) << (r ? "" : r.error().str());
  return m;
}

core::RenderContext ctx(const store::MemoryStore& s, const core::MetricValues& m, int64_t now = 1700000000) {
  return {s, m, std::chrono::system_clock::time_point(std::chrono::seconds(now))};
}

TEST(BootModule, OneKeyPerSlimeBoot) {
  store::MemoryStore s;
  s.put(object(kPlugin));
  s.put(object("{apiVersion: config.netease.com/v1alpha1, kind: SlimeBoot, metadata: {name: b, namespace: other}}"));
  s.put(object("{apiVersion: v1, kind: ConfigMap, metadata: {name: plugin, namespace: mesh-operator}}"));
  core::NoMetrics none;
  auto keys = configured()->keys(ctx(s, none));
  EXPECT_EQ(keys, (std::vector<std::string>{"mesh-operator/plugin", "other/b"}));
}

TEST(BootModule, ChangesMapBackToTheirSlimeBoot) {
  store::MemoryStore s;
  core::NoMetrics none;
  auto m = configured();
  EXPECT_EQ(m->keys_for(ctx(s, none), object(kPlugin)), std::vector<std::string>{"mesh-operator/plugin"});
  auto owned = object("{apiVersion: apps/v1, kind: Deployment, metadata: {name: plugin, namespace: mesh-operator, "
                      "annotations: {slime.io/slimeboot: mesh-operator/plugin}}}");
  EXPECT_EQ(m->keys_for(ctx(s, none), owned), std::vector<std::string>{"mesh-operator/plugin"});
  auto foreign = object("{apiVersion: apps/v1, kind: Deployment, metadata: {name: plugin, namespace: mesh-operator}}");
  EXPECT_TRUE(m->keys_for(ctx(s, none), foreign).empty());
}

TEST(BootModule, RendersTaggedObjectsAndADeployedCondition) {
  store::MemoryStore s;
  s.put(object(kPlugin));
  core::NoMetrics none;
  auto out = configured()->reconcile(ctx(s, none), "mesh-operator/plugin");
  EXPECT_TRUE(out.problems.empty());
  ASSERT_EQ(out.objects.size(), 5u);
  for (const auto& o : out.objects) EXPECT_EQ(o.annotation("slime.io/slimeboot"), "mesh-operator/plugin") << o.ref();
  ASSERT_EQ(out.statuses.size(), 1u);
  const Json& st = out.statuses[0].status;
  EXPECT_EQ(st["observedGeneration"], 3);
  EXPECT_EQ(st["conditions"][0]["type"], "Deployed");
  EXPECT_EQ(st["conditions"][0]["status"], "True");
  EXPECT_EQ(st["conditions"][0]["reason"], "Rendered");
  EXPECT_EQ(st["conditions"][0]["lastTransitionTime"], "2023-11-14T22:13:20Z");
}

TEST(BootModule, TransitionTimeOnlyMovesWhenTheStatusChanges) {
  core::NoMetrics none;
  auto m = configured();
  Json sb = testing::yaml(kPlugin);
  sb["status"] = {{"conditions", Json::array({Json{{"type", "Deployed"}, {"status", "True"},
                                                   {"lastTransitionTime", "2020-01-01T00:00:00Z"}}})}};
  store::MemoryStore s;
  s.put(core::Object(sb));
  auto same = m->reconcile(ctx(s, none), "mesh-operator/plugin");
  EXPECT_EQ(same.statuses[0].status["conditions"][0]["lastTransitionTime"], "2020-01-01T00:00:00Z");

  sb["spec"]["replicaCount"] = -1;
  store::MemoryStore bad;
  bad.put(core::Object(sb));
  auto changed = m->reconcile(ctx(bad, none), "mesh-operator/plugin");
  EXPECT_EQ(changed.statuses[0].status["conditions"][0]["status"], "False");
  EXPECT_EQ(changed.statuses[0].status["conditions"][0]["reason"], "InvalidSpec");
  EXPECT_EQ(changed.statuses[0].status["conditions"][0]["lastTransitionTime"], "2023-11-14T22:13:20Z");
}

TEST(BootModule, InvalidUpdateKeepsTheLiveObjects) {
  core::NoMetrics none;
  auto m = configured();
  Json sb = testing::yaml(kPlugin);
  sb["spec"]["service"] = {{"port", "eighty"}};
  store::MemoryStore s;
  s.put(core::Object(sb));
  s.put(object(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: plugin, namespace: mesh-operator, resourceVersion: "42", uid: u1,
           annotations: {slime.io/slimeboot: mesh-operator/plugin}}
spec: {replicas: 1}
status: {readyReplicas: 1}
)"));
  s.put(object("{apiVersion: v1, kind: Service, metadata: {name: other, namespace: mesh-operator, "
               "annotations: {slime.io/slimeboot: mesh-operator/other}}}"));
  auto out = m->reconcile(ctx(s, none), "mesh-operator/plugin");
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].field, "spec.service.port");
  EXPECT_EQ(out.problems[0].object, "SlimeBoot mesh-operator/plugin");
  ASSERT_EQ(out.objects.size(), 1u);
  const Json& kept = out.objects[0].json();
  EXPECT_EQ(kept["spec"], Json::parse(R"({"replicas":1})"));
  EXPECT_FALSE(kept.contains("status"));
  EXPECT_FALSE(kept["metadata"].contains("resourceVersion"));
  EXPECT_FALSE(kept["metadata"].contains("uid"));
}

TEST(BootModule, DeletedSlimeBootRendersNothing) {
  store::MemoryStore s;
  core::NoMetrics none;
  auto out = configured()->reconcile(ctx(s, none), "mesh-operator/plugin");
  EXPECT_TRUE(out.objects.empty());
  EXPECT_TRUE(out.statuses.empty());
  EXPECT_TRUE(out.problems.empty());
}

TEST(BootModule, SlimeBootBeingDeletedRendersNothing) {
  // Held by the finalizer: the runtime deletes what it rendered, so rendering it again would fight that.
  Json sb = testing::yaml(kPlugin);
  sb["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  sb["metadata"]["finalizers"] = Json::array({"slime.io/slimeboot-cleanup"});
  store::MemoryStore s;
  s.put(core::Object(sb));
  core::NoMetrics none;
  auto out = configured()->reconcile(ctx(s, none), "mesh-operator/plugin");
  EXPECT_TRUE(out.objects.empty());
  EXPECT_TRUE(out.statuses.empty());
  EXPECT_TRUE(out.problems.empty());
}

TEST(BootModule, AsksForCleanupByFinalizerAndOwnerAnnotation) {
  auto c = configured()->cleanup();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->kind, (core::GroupKind{"config.netease.com", "SlimeBoot"}));
  EXPECT_EQ(c->finalizer, "slime.io/slimeboot-cleanup");
  EXPECT_EQ(c->annotation, "slime.io/slimeboot");
  // The annotation it names is the one every rendered object carries, with the reconcile key as value.
  store::MemoryStore s;
  s.put(object(kPlugin));
  core::NoMetrics none;
  auto out = configured()->reconcile(ctx(s, none), "mesh-operator/plugin");
  ASSERT_FALSE(out.objects.empty());
  for (const auto& o : out.objects) EXPECT_EQ(o.annotation(c->annotation), "mesh-operator/plugin") << o.ref();
}

TEST(BootModule, UnknownSpecKeysGoToStatusNotes) {
  Json sb = testing::yaml(kPlugin);
  sb["spec"]["replicaCont"] = 2;
  store::MemoryStore s;
  s.put(core::Object(sb));
  core::NoMetrics none;
  auto out = configured()->reconcile(ctx(s, none), "mesh-operator/plugin");
  EXPECT_TRUE(out.problems.empty());
  ASSERT_TRUE(out.statuses[0].status.contains("notes"));
  EXPECT_NE(out.statuses[0].status["notes"][0].get<std::string>().find("spec.replicaCont"), std::string::npos);
}

TEST(BootModule, TheOlderSlimeBootKeepsAContestedModuleName) {
  Json older = testing::yaml(kPlugin);
  older["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z";
  Json newer = testing::yaml(kPlugin);
  newer["metadata"]["name"] = "plugin-again";
  newer["metadata"]["namespace"] = "default";
  newer["metadata"]["creationTimestamp"] = "2024-02-01T00:00:00Z";
  newer["spec"]["module"].push_back({{"name", "limiter"}, {"kind", "limiter"}, {"enable", true}});
  store::MemoryStore s;
  s.put(core::Object(older));
  s.put(core::Object(newer));
  core::NoMetrics none;
  auto m = configured();

  auto first = m->reconcile(ctx(s, none), "mesh-operator/plugin");
  EXPECT_TRUE(first.problems.empty());
  EXPECT_EQ(first.objects.size(), 5u);

  auto second = m->reconcile(ctx(s, none), "default/plugin-again");
  ASSERT_EQ(second.problems.size(), 1u);
  EXPECT_EQ(second.problems[0].field, "spec.module[0].name");
  EXPECT_NE(second.problems[0].message.find("already deployed by SlimeBoot mesh-operator/plugin"), std::string::npos);
  EXPECT_EQ(second.objects.size(), 5u);  // only the limiter's
  for (const auto& o : second.objects) EXPECT_EQ(o.name(), "limiter") << o.ref();

  // A SlimeBoot change re-renders every SlimeBoot: the loser takes over when the winner goes.
  auto keys = m->keys_for(ctx(s, none), core::Object(older));
  EXPECT_EQ(keys, (std::vector<std::string>{"mesh-operator/plugin", "default/plugin-again"}));
}

TEST(BootModule, Configuration) {
  auto m = make_module();
  core::ModuleConfig c;
  c.name = c.kind = "boot";
  c.general = testing::yaml("{image: {repository: r.example/slime}, renderGlobalSidecar: true, colour: blue}");
  ASSERT_TRUE(m->configure(c));
  ASSERT_EQ(m->config_warnings().size(), 1u);
  EXPECT_NE(m->config_warnings()[0].str().find("colour"), std::string::npos);
  auto writes = m->writes();
  EXPECT_NE(std::find(writes.begin(), writes.end(), core::GroupKind{"networking.istio.io", "EnvoyFilter"}), writes.end());

  c.general = testing::yaml("{renderGlobalSidecar: sometimes}");
  auto bad = m->configure(c);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "general.renderGlobalSidecar");
  c.general = testing::yaml("{image: latest}");
  EXPECT_FALSE(m->configure(c));
}

}  // namespace
}  // namespace slime::boot

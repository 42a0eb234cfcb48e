// The controller runtime on a real apiserver: module outputs applied with ownerReferences, only real
// differences written, pruning, reverting manual edits, statuses through the status subresource,
// problems as Events, a malformed object not blocking others, recovery after an apiserver restart,
// and two replicas with leader election (exactly one writes; the standby takes over).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "envtest_server.h"
#include "slime/kube/cluster_config.h"
#include "slime/runtime/kube_cluster.h"
#include "slime/runtime/leader_election.h"
#include "slime/runtime/manager.h"
#include "support/echo_module.h"

namespace slime::runtime {
namespace {

using core::Gvk;
using core::Json;
using core::Object;

const Gvk kConfigMap{"", "v1", "ConfigMap"};

slime::testing::EnvtestServer& server() { return *slime::testing::EnvtestServer::start_shared().value(); }
kube::ClusterConfig config() { return kube::load_kubeconfig(server().kubeconfig()).value(); }

bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

Object source(const std::string& ns, const std::string& name, Json data) {
  Object o("v1", "ConfigMap", ns, name);
  o.set_label("slime-test/echo", "true");
  o.json()["data"] = std::move(data);
  return o;
}

uint64_t writes(const kube::Client& c) {
  uint64_t n = 0;
  for (auto& [k, v] : c.stats().snapshot())
    if (k.first == "APPLY" || k.first == "DELETE" || k.first == "PUT" || k.first == "POST") n += v;
  return n;
}

// One "replica": its own client, cache and controllers, as a separate process would have.
struct Replica {
  kube::Client client{config()};
  KubeCluster cluster{client};
  slime::testing::EchoModule module;
  Metrics metrics;
  Manager manager{cluster, {&module}, metrics};
};

class RuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    kube::Client c(config());
    Json crd = Json::parse(R"({
      "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
      "metadata": {"name": "widgets.test.slime.io"},
      "spec": {"group": "test.slime.io", "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
          "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}})");
    ASSERT_TRUE(c.apply(Object(crd)).has_value());
    ASSERT_TRUE(eventually([&] { return c.resource({"test.slime.io", "v1", "Widget"}).has_value(); }));
  }
  void make_ns(kube::Client& c, const std::string& ns) { ASSERT_TRUE(c.apply(Object("v1", "Namespace", "", ns)).has_value()); }
};

TEST_F(RuntimeTest, RendersAppliesOnlyDifferencesRevertsEditsAndPrunes) {
  Replica r;
  make_ns(r.client, "rt1");
  auto src = r.client.apply(source("rt1", "app", {{"a", "1"}}));
  ASSERT_TRUE(src.has_value());
  ASSERT_TRUE(r.manager.start().has_value());
  r.manager.set_leading(true);

  std::optional<Object> copy;
  ASSERT_TRUE(eventually([&] {
    auto g = r.client.get(kConfigMap, "rt1", "app-copy");
    if (g) copy = *g;
    return g.has_value();
  }));
  EXPECT_EQ(copy->json()["data"]["a"], "1");
  EXPECT_EQ(copy->owner_references()[0]["uid"], src->uid());
  EXPECT_EQ(copy->json()["metadata"]["managedFields"][0]["manager"], "slime");

  // Converged: a change that does not alter the output causes a reconcile but no write.
  ASSERT_TRUE(eventually([&] { return r.manager.idle(); }));
  auto writes_before = writes(r.client);
  auto reconciles_before = r.manager.reconciles();
  Object touched = source("rt1", "app", {{"a", "1"}});
  touched.set_annotation("touched", "yes");
  kube::Client someone(config());  // the test's own writes must not count as the controller's
  ASSERT_TRUE(someone.apply(touched, true, "someone").has_value());
  ASSERT_TRUE(eventually([&] { return r.manager.reconciles() > reconciles_before && r.manager.idle(); }));
  EXPECT_EQ(writes(r.client), writes_before);

  // The source changes: the copy follows.
  ASSERT_TRUE(r.client.apply(source("rt1", "app", {{"a", "2"}})).has_value());
  ASSERT_TRUE(eventually([&] {
    auto g = r.client.get(kConfigMap, "rt1", "app-copy");
    return g && g->json()["data"]["a"] == "2";
  }));

  // Someone edits the generated object by hand: Slime puts its fields back.
  ASSERT_TRUE(r.client.merge_patch(kConfigMap, "rt1", "app-copy", {{"data", {{"a", "hacked"}}}}).has_value());
  ASSERT_TRUE(eventually([&] {
    auto g = r.client.get(kConfigMap, "rt1", "app-copy");
    return g && g->json()["data"]["a"] == "2";
  }));

  // The source stops asking for a copy: the copy is pruned.
  Object unlabelled("v1", "ConfigMap", "rt1", "app");
  unlabelled.json()["data"] = {{"a", "2"}};
  unlabelled.set_label("slime-test/echo", "false");
  ASSERT_TRUE(r.client.apply(unlabelled).has_value());
  ASSERT_TRUE(eventually([&] {
    auto g = r.client.get(kConfigMap, "rt1", "app-copy");
    return !g && g.error().not_found();
  }));
  r.manager.stop();
}

TEST_F(RuntimeTest, InvalidObjectsGetAnEventAndDoNotBlockOthers) {
  Replica r;
  make_ns(r.client, "rt2");
  ASSERT_TRUE(r.client.apply(source("rt2", "bad", {{"invalid", "x"}})).has_value());
  ASSERT_TRUE(r.client.apply(source("rt2", "good", {{"k", "v"}})).has_value());
  ASSERT_TRUE(r.manager.start().has_value());
  r.manager.set_leading(true);
  ASSERT_TRUE(eventually([&] { return r.client.get(kConfigMap, "rt2", "good-copy").has_value(); }));
  ASSERT_TRUE(eventually([&] {
    auto evs = r.client.list({"", "v1", "Event"}, {.ns = "rt2", .label_selector = {}, .field_selector = {}, .page_size = 0});
    if (!evs) return false;
    for (auto& e : evs->items)
      if (e.json()["involvedObject"]["name"] == "bad" && e.json()["reason"] == "InvalidSpec" && e.json()["type"] == "Warning")
        return true;
    return false;
  }));
  EXPECT_FALSE(r.client.get(kConfigMap, "rt2", "bad-copy").has_value());
  // Fixing it is picked up.
  ASSERT_TRUE(r.client.apply(source("rt2", "bad", {{"fixed", "x"}})).has_value());
  ASSERT_TRUE(eventually([&] { return r.client.get(kConfigMap, "rt2", "bad-copy").has_value(); }));
  r.manager.stop();
}

TEST_F(RuntimeTest, StatusGoesThroughTheStatusSubresource) {
  Replica r;
  make_ns(r.client, "rt3");
  Object w("test.slime.io/v1", "Widget", "rt3", "w");
  w.json()["spec"] = {{"size", 3}};
  ASSERT_TRUE(r.client.apply(w).has_value());
  ASSERT_TRUE(r.manager.start().has_value());
  r.manager.set_leading(true);
  ASSERT_TRUE(eventually([&] {
    auto g = r.client.get({"test.slime.io", "v1", "Widget"}, "rt3", "w");
    return g && g->status().is_object() && g->status().value("observedSize", 0) == 3;
  }));
  w.json()["spec"]["size"] = 5;
  ASSERT_TRUE(r.client.apply(w).has_value());
  ASSERT_TRUE(eventually([&] {
    auto g = r.client.get({"test.slime.io", "v1", "Widget"}, "rt3", "w");
    return g && g->status().is_object() && g->status().value("observedSize", 0) == 5;
  }));
  r.manager.stop();
}

TEST_F(RuntimeTest, ConvergesAfterAnApiserverRestart) {
  Replica r;
  make_ns(r.client, "rt4");
  ASSERT_TRUE(r.client.apply(source("rt4", "before", {{"k", "v"}})).has_value());
  ASSERT_TRUE(r.manager.start().has_value());
  r.manager.set_leading(true);
  ASSERT_TRUE(eventually([&] { return r.client.get(kConfigMap, "rt4", "before-copy").has_value(); }));
  ASSERT_TRUE(server().restart_apiserver().has_value());
  ASSERT_TRUE(r.client.apply(source("rt4", "after", {{"k", "v"}})).has_value());
  ASSERT_TRUE(r.client.apply(source("rt4", "before", {{"k", "changed"}})).has_value());
  ASSERT_TRUE(eventually([&] {
    auto a = r.client.get(kConfigMap, "rt4", "after-copy");
    auto b = r.client.get(kConfigMap, "rt4", "before-copy");
    return a && b && b->json()["data"]["k"] == "changed";
  }, std::chrono::seconds(40)));
  EXPECT_GE(r.cluster.watch_restarts(), 1u);
  r.manager.stop();
}

TEST_F(RuntimeTest, TwoReplicasExactlyOneWritesAndTheStandbyTakesOver) {
  kube::Client admin(config());
  make_ns(admin, "rt5");
  // Pods for the slime.io/leader label (no kubelet: they stay Pending, which is enough here).
  for (auto n : {"slime-a", "slime-b"}) {
    Object pod("v1", "Pod", "rt5", n);
    pod.json()["spec"] = {{"containers", {{{"name", "slime"}, {"image", "slime:test"}}}}};
    ASSERT_TRUE(admin.apply(pod).has_value());
  }
  ASSERT_TRUE(admin.apply(source("rt5", "one", {{"k", "1"}})).has_value());

  Replica a, b;
  auto options = [](const std::string& pod) {
    LeaderElectionOptions o;
    o.lease_namespace = "rt5";
    o.lease_name = "slime-test";
    o.lease_duration = std::chrono::milliseconds(4000);
    o.renew_deadline = std::chrono::milliseconds(3000);
    o.retry_period = std::chrono::milliseconds(500);
    o.pod_namespace = "rt5";
    o.pod_name = pod;
    return o;
  };
  auto opts_a = options("slime-a");
  opts_a.release_on_stop = false;  // "killed": no graceful release
  ASSERT_TRUE(a.manager.start().has_value());
  ASSERT_TRUE(b.manager.start().has_value());
  LeaderElector ea(a.client, opts_a, [&] { a.manager.set_leading(true); }, [] {});
  ea.start();
  ASSERT_TRUE(eventually([&] { return ea.leading(); }));
  LeaderElector eb(b.client, options("slime-b"), [&] { b.manager.set_leading(true); }, [] {});
  eb.start();

  ASSERT_TRUE(eventually([&] { return admin.get(kConfigMap, "rt5", "one-copy").has_value(); }));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // give the standby every chance to misbehave
  EXPECT_TRUE(ea.leading());
  EXPECT_FALSE(eb.leading());
  EXPECT_EQ(writes(b.client), 0u) << "the standby wrote";
  auto pod_a = admin.get({"", "v1", "Pod"}, "rt5", "slime-a");
  ASSERT_TRUE(pod_a.has_value());
  EXPECT_EQ(pod_a->label("slime.io/leader"), "true");

  // The leader dies without releasing the lease.
  auto killed_at = std::chrono::steady_clock::now();
  ea.stop();
  a.manager.stop();
  ASSERT_TRUE(eventually([&] { return eb.leading(); }, std::chrono::seconds(15)));
  auto takeover = std::chrono::steady_clock::now() - killed_at;
  std::cout << "takeover after " << std::chrono::duration<double>(takeover).count() << " s\n";
  ASSERT_TRUE(admin.apply(source("rt5", "two", {{"k", "2"}})).has_value());
  ASSERT_TRUE(eventually([&] { return admin.get(kConfigMap, "rt5", "two-copy").has_value(); }));
  auto lease = admin.get({"coordination.k8s.io", "v1", "Lease"}, "rt5", "slime-test");
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->spec()["holderIdentity"], eb.identity());
  auto pod_b = admin.get({"", "v1", "Pod"}, "rt5", "slime-b");
  ASSERT_TRUE(pod_b.has_value());
  EXPECT_EQ(pod_b->label("slime.io/leader"), "true");
  eb.stop();
  b.manager.stop();
  // A graceful stop releases the lease and removes the label.
  auto lease2 = admin.get({"coordination.k8s.io", "v1", "Lease"}, "rt5", "slime-test");
  ASSERT_TRUE(lease2.has_value());
  EXPECT_EQ(lease2->spec()["holderIdentity"], "");
  EXPECT_EQ(admin.get({"", "v1", "Pod"}, "rt5", "slime-b")->label("slime.io/leader"), "");
}

// Failover: what the old leader wrote is known to the new one only through the owner marks on the
// objects. A key whose output changed between the two (here: its source stopped asking for a copy)
// must not leave its old object behind; the user's ConfigMaps (no marks) stay.
TEST_F(RuntimeTest, ANewLeaderPrunesWhatTheOldLeaderWroteAndNoKeyRendersNow) {
  Replica a, b;
  make_ns(a.client, "rt6");
  ASSERT_TRUE(a.client.apply(source("rt6", "app", {{"k", "1"}})).has_value());
  ASSERT_TRUE(a.client.apply(source("rt6", "kept", {{"k", "1"}})).has_value());
  Object users("v1", "ConfigMap", "rt6", "users-own");
  users.json()["data"] = {{"k", "mine"}};
  ASSERT_TRUE(a.client.apply(users, true, "user").has_value());
  ASSERT_TRUE(a.manager.start().has_value());
  ASSERT_TRUE(b.manager.start().has_value());  // a synced standby
  a.manager.set_leading(true);
  ASSERT_TRUE(eventually([&] {
    return a.client.get(kConfigMap, "rt6", "app-copy").has_value() && a.client.get(kConfigMap, "rt6", "kept-copy").has_value();
  }));
  auto copy = a.client.get(kConfigMap, "rt6", "app-copy");
  EXPECT_EQ(copy->label("slime.io/owner-module"), "echo");
  EXPECT_EQ(copy->annotation("slime.io/owner-key"), "cm:rt6/app");
  a.manager.stop();  // the leader is gone

  Object unlabelled("v1", "ConfigMap", "rt6", "app");
  unlabelled.json()["data"] = {{"k", "1"}};
  unlabelled.set_label("slime-test/echo", "false");
  ASSERT_TRUE(b.client.apply(unlabelled, true, "user").has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the standby's cache sees it; it writes nothing
  b.manager.set_leading(true);
  EXPECT_TRUE(eventually([&] {
    auto g = b.client.get(kConfigMap, "rt6", "app-copy");
    return !g && g.error().not_found();
  }));
  EXPECT_TRUE(b.client.get(kConfigMap, "rt6", "kept-copy").has_value());
  auto still = b.client.get(kConfigMap, "rt6", "users-own");
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->json()["data"]["k"], "mine");
  b.manager.stop();
}

}  // namespace
}  // namespace slime::runtime

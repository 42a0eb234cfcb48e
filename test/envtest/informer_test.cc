// Informers against a real apiserver: initial sync, live events, indexes, and recovery from a
// restarted apiserver with changes it missed (410 -> relist -> only the difference is emitted).
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "envtest_server.h"
#include "slime/kube/cluster_config.h"
#include "slime/kube/informer.h"

namespace slime::kube {
namespace {

using core::Gvk;
using core::Json;
using core::Object;

const Gvk kConfigMap{"", "v1", "ConfigMap"};

testing::EnvtestServer& server() { return *testing::EnvtestServer::start_shared().value(); }

Client make_client() { return Client(load_kubeconfig(server().kubeconfig()).value()); }

Object config_map(const std::string& ns, const std::string& name, const std::string& team) {
  Object o("v1", "ConfigMap", ns, name);
  o.set_label("team", team);
  o.json()["data"] = {{"v", name}};
  return o;
}

// Collects events; waits for conditions without fixed sleeps.
struct Recorder {
  std::mutex mu;
  std::vector<std::pair<WatchEventType, std::string>> events;
  void operator()(const InformerEvent& ev) {
    std::lock_guard lock(mu);
    events.emplace_back(ev.type, ev.object->name());
  }
  bool wait_for(const std::function<bool(const std::vector<std::pair<WatchEventType, std::string>>&)>& pred,
                std::chrono::seconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard lock(mu);
        if (pred(events)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  size_t count(WatchEventType t, const std::string& name) {
    std::lock_guard lock(mu);
    size_t n = 0;
    for (auto& [et, nm] : events) n += et == t && nm == name;
    return n;
  }
};

TEST(Informer, SyncsThenFollowsChangesAndMaintainsIndexes) {
  Client c = make_client();
  ASSERT_TRUE(c.apply(Object("v1", "Namespace", "", "inf1")).has_value());
  ASSERT_TRUE(c.apply(config_map("inf1", "pre", "a")).has_value());

  Informer inf(c, kConfigMap, {.ns = "inf1", .label_selector = {}, .field_selector = {}, .page_size = 0});
  Recorder rec;
  inf.add_handler(std::ref(rec));
  inf.add_index("team", [](const Object& o) { return std::vector<std::string>{o.label("team")}; });
  inf.start();
  ASSERT_TRUE(inf.wait_synced(std::chrono::seconds(10)));
  EXPECT_EQ(rec.count(WatchEventType::kAdded, "pre"), 1u);
  EXPECT_EQ(inf.by_index("team", "a").size(), 1u);

  ASSERT_TRUE(c.apply(config_map("inf1", "live", "b")).has_value());
  ASSERT_TRUE(rec.wait_for([](auto& e) { return !e.empty() && e.back().second == "live"; }));
  EXPECT_EQ(inf.by_index("team", "b").size(), 1u);
  // Relabel: the object moves between index buckets.
  ASSERT_TRUE(c.apply(config_map("inf1", "live", "a")).has_value());
  ASSERT_TRUE(rec.wait_for([&](auto&) { return inf.by_index("team", "a").size() == 2; }));
  EXPECT_TRUE(inf.by_index("team", "b").empty());

  ASSERT_TRUE(c.remove(kConfigMap, "inf1", "pre").has_value());
  ASSERT_TRUE(rec.wait_for([](auto& e) { return e.back().first == WatchEventType::kDeleted; }));
  EXPECT_EQ(inf.get("inf1", "pre"), nullptr);
  EXPECT_NE(inf.get("inf1", "live"), nullptr);
  inf.stop();
}

// Kinds read only by their metadata are listed and watched as PartialObjectMetadata: the cache holds the
// object under its own kind, with labels but without data; kubectl's last-applied copy is dropped.
TEST(Informer, MetadataOnlyListAndWatchKeepTheKindAndDropTheBody) {
  Client c = make_client();
  ASSERT_TRUE(c.apply(Object("v1", "Namespace", "", "inf-meta")).has_value());
  Object pre = config_map("inf-meta", "pre", "a");
  pre.set_annotation("kubectl.kubernetes.io/last-applied-configuration", "{\"big\": true}");
  ASSERT_TRUE(c.apply(pre).has_value());

  Informer inf(c, kConfigMap, {.ns = "inf-meta", .label_selector = {}, .field_selector = {}, .page_size = 0, .metadata_only = true});
  Recorder rec;
  inf.add_handler(std::ref(rec));
  inf.start();
  ASSERT_TRUE(inf.wait_synced(std::chrono::seconds(10)));
  auto listed = inf.get("inf-meta", "pre");
  ASSERT_NE(listed, nullptr);
  EXPECT_EQ(listed->kind(), "ConfigMap");
  EXPECT_EQ(listed->api_version(), "v1");
  EXPECT_EQ(listed->label("team"), "a");
  EXPECT_FALSE(listed->json().contains("data"));
  EXPECT_FALSE(listed->json()["metadata"].contains("annotations"));

  ASSERT_TRUE(c.apply(config_map("inf-meta", "live", "b")).has_value());
  ASSERT_TRUE(rec.wait_for([](auto& e) { return !e.empty() && e.back().second == "live"; }));
  auto watched = inf.get("inf-meta", "live");
  ASSERT_NE(watched, nullptr);
  EXPECT_EQ(watched->kind(), "ConfigMap");
  EXPECT_EQ(watched->label("team"), "b");
  EXPECT_FALSE(watched->json().contains("data"));
  inf.stop();
}

TEST(Informer, RecoversFromApiserverRestartAndMissedChangesWithoutLosingEvents) {
  Client c = make_client();
  ASSERT_TRUE(c.apply(Object("v1", "Namespace", "", "inf2")).has_value());
  for (auto n : {"keep", "doomed", "changed"}) ASSERT_TRUE(c.apply(config_map("inf2", n, "x")).has_value());

  Informer inf(c, kConfigMap, {.ns = "inf2", .label_selector = {}, .field_selector = {}, .page_size = 0});
  Recorder rec;
  inf.add_handler(std::ref(rec));
  inf.start();
  ASSERT_TRUE(inf.wait_synced(std::chrono::seconds(10)));
  auto relists_before = inf.relists();

  // Changes the informer does not see live: it is stopped (its cache and resourceVersion are kept),
  // and the apiserver restarts, so its old resourceVersion is expired when it comes back.
  inf.stop();
  ASSERT_TRUE(c.remove(kConfigMap, "inf2", "doomed").has_value());
  ASSERT_TRUE(c.apply(config_map("inf2", "changed", "y")).has_value());
  ASSERT_TRUE(c.apply(config_map("inf2", "born", "x")).has_value());
  ASSERT_TRUE(server().restart_apiserver().has_value());
  inf.start();

  ASSERT_TRUE(rec.wait_for([&](auto&) { return inf.relists() > relists_before && !inf.get("inf2", "doomed"); }));
  EXPECT_EQ(rec.count(WatchEventType::kDeleted, "doomed"), 1u);
  EXPECT_EQ(rec.count(WatchEventType::kModified, "changed"), 1u);
  EXPECT_EQ(rec.count(WatchEventType::kAdded, "born"), 1u);
  EXPECT_EQ(rec.count(WatchEventType::kModified, "keep"), 0u);  // unchanged objects are not re-emitted
  EXPECT_GE(inf.watch_restarts(), 1u);

  // And it keeps following live changes afterwards.
  ASSERT_TRUE(c.apply(config_map("inf2", "after", "x")).has_value());
  ASSERT_TRUE(rec.wait_for([&](auto&) { return inf.get("inf2", "after") != nullptr; }));
  inf.stop();
}

TEST(Informer, SurvivesApiserverDowntimeWhileRunning) {
  Client c = make_client();
  ASSERT_TRUE(c.apply(Object("v1", "Namespace", "", "inf3")).has_value());
  Informer inf(c, kConfigMap, {.ns = "inf3", .label_selector = {}, .field_selector = {}, .page_size = 0});
  Recorder rec;
  inf.add_handler(std::ref(rec));
  inf.start();
  ASSERT_TRUE(inf.wait_synced(std::chrono::seconds(10)));
  ASSERT_TRUE(server().stop_apiserver().has_value());
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the watch breaks and backs off
  ASSERT_TRUE(server().start_apiserver().has_value());
  ASSERT_TRUE(c.apply(config_map("inf3", "after-restart", "x")).has_value());
  ASSERT_TRUE(rec.wait_for([&](auto&) { return inf.get("inf3", "after-restart") != nullptr; }, std::chrono::seconds(30)));
  EXPECT_GE(inf.watch_restarts(), 1u);
  inf.stop();
}

}  // namespace
}  // namespace slime::kube

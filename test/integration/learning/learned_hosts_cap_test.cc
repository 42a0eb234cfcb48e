// What the access-log service learns (issue #13): only mesh Services and configured aliases, and at most
// maxLearnedHostsPerFence per fence — a flood of made-up Host headers cannot grow a ServiceFence past
// etcd's size limit. Real gRPC on loopback (the access-log service and its reporter), a manifest directory
// as the cluster (its record_problem is where a Kubernetes Event would go).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "slime/core/config.h"
#include "slime/learning/learning_loop.h"
#include "slime/metric/accesslog/accesslog_reporter.h"
#include "slime/metric/accesslog/accesslog_server.h"
#include "slime/modules/lazyload/config.h"
#include "slime/store/manifest_dir.h"

namespace slime::learning {
namespace {

namespace fs = std::filesystem;

const core::GroupKind kFence{"microservice.slime.io", "ServiceFence"};

class LearnedHostsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/slime-learned-cap-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    std::ofstream f(dir_ + "/mesh.yaml");
    f << "apiVersion: v1\nkind: Service\nmetadata: {name: caller, namespace: default}\n"
         "spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n---\n"
         "apiVersion: v1\nkind: Endpoints\nmetadata: {name: caller, namespace: default}\n"
         "subsets: [{addresses: [{ip: 127.0.0.2}], ports: [{name: http, port: 80}]}]\n---\n"
         "apiVersion: microservice.slime.io/v1alpha1\nkind: ServiceFence\nmetadata: {name: caller, namespace: default}\n"
         "spec: {enable: true}\n";
    for (int i = 0; i < 5; ++i)
      f << "---\napiVersion: v1\nkind: Service\nmetadata: {name: dest-" << i << ", namespace: default}\n"
        << "spec: {clusterIP: 10.96.0." << 10 + i << ", ports: [{name: http, port: 80}]}\n---\n"
        << "apiVersion: v1\nkind: Endpoints\nmetadata: {name: dest-" << i << ", namespace: default}\n"
        << "subsets: [{addresses: [{ip: 10.244.0." << 10 + i << "}], ports: [{name: http, port: 8080}]}]\n";
    f.close();
    cluster_ = std::make_unique<store::ManifestDirCluster>(dir_);
    ASSERT_TRUE(cluster_->start({}));
  }
  void TearDown() override {
    if (server_) server_->stop();
    cluster_->stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // The lazyload entry as a user writes it, decoded by the module.
  void start_learning(const std::string& general) {
    auto cfg = core::parse_slime_config(core::Json::parse(R"({"name":"lazyload","kind":"lazyload","enable":true,"general":)" +
                                                          general + "}"));
    ASSERT_TRUE(cfg) << cfg.error().str();
    auto fence = lazyload::parse_config(cfg->modules.at(0));
    ASSERT_TRUE(fence) << fence.error().str();
    loop_ = std::make_shared<LearningLoop>(*cluster_, std::make_shared<const lazyload::FenceConfig>(std::move(fence->config)));
    server_ = std::make_unique<metric::AccessLogServer>([l = loop_](metric::AccessLogBatch&& b) { l->on_batch(std::move(b)); });
    ASSERT_TRUE(server_->start("127.0.0.1:0"));
    reporter_ = std::make_unique<metric::AccessLogReporter>(
        metric::AccessLogReporter::Options{.target = "127.0.0.1:" + std::to_string(server_->port())});
  }

  void call(const std::string& authority) { reporter_->report({"127.0.0.2", 40000, 80, authority, "/", 200}); }

  // Sends what was reported, then waits until `done` holds (the counters it reads move once a batch has
  // been folded and written).
  bool folded(const std::function<bool(const LearningLoop::Stats&)>& done) {
    reporter_->flush(std::chrono::seconds(5));
    for (int i = 0; i < 1000 && !done(loop_->stats()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done(loop_->stats());
  }

  // The store follows status writes through the directory watch: wait for it to show `n` learned hosts.
  bool learned_settles_at(size_t n) {
    for (int i = 0; i < 500 && learned().size() != n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return learned().size() == n;
  }

  core::Json learned() {
    auto f = cluster_->store().find({kFence, "default", "caller"});
    if (!f) return core::Json::object();
    auto st = f->status();
    return st.is_object() && st.contains("metricStatus") ? st["metricStatus"] : core::Json::object();
  }

  size_t cap_problems() {
    size_t n = 0;
    for (const auto& p : cluster_->problems()) n += p.find("LearnedHostsCapped") != std::string::npos;
    return n;
  }

  std::string dir_;
  std::unique_ptr<store::ManifestDirCluster> cluster_;
  std::shared_ptr<LearningLoop> loop_;
  std::unique_ptr<metric::AccessLogServer> server_;
  std::unique_ptr<metric::AccessLogReporter> reporter_;
};

TEST_F(LearnedHostsTest, OnlyMeshServicesAndAliasesAreLearned) {
  start_learning(R"({"domainAliases": [{"pattern": "(?P<svc>[^.]+)\\.legacy\\.corp", "templates": ["$svc.default.svc.cluster.local"]}]})");
  call("dest-0.default:80");
  call("dest-1");  // a short name, expanded in the caller's namespace
  call("reviews.legacy.corp");  // an alias
  for (int i = 0; i < 50; ++i) call("made-up-" + std::to_string(i) + ".attacker.example");
  call("no-such-service.default");
  ASSERT_TRUE(folded([](const LearningLoop::Stats& s) { return s.not_mesh.load() >= 51; }));
  ASSERT_TRUE(learned_settles_at(3)) << learned().dump();
  auto m = learned();
  EXPECT_TRUE(m.contains("{destination_service=\"dest-0.default.svc.cluster.local\"}")) << m.dump();
  EXPECT_TRUE(m.contains("{destination_service=\"dest-1.default.svc.cluster.local\"}")) << m.dump();
  EXPECT_TRUE(m.contains("{destination_service=\"reviews.legacy.corp\"}")) << m.dump();
  EXPECT_EQ(m.size(), 3u) << m.dump();
  EXPECT_EQ(loop_->stats().not_mesh.load(), 51u);
}

TEST_F(LearnedHostsTest, AFenceStopsGrowingAtTheCapWithOneEvent) {
  start_learning(R"({"maxLearnedHostsPerFence": 3})");
  for (int i = 0; i < 5; ++i) call("dest-" + std::to_string(i) + ".default");
  ASSERT_TRUE(folded([](const LearningLoop::Stats& s) { return s.dropped_at_cap.load() >= 2; }));
  EXPECT_TRUE(learned_settles_at(3)) << learned().dump();
  EXPECT_EQ(loop_->stats().dropped_at_cap.load(), 2u);  // dest-3, dest-4
  EXPECT_EQ(loop_->stats().fences_at_cap.load(), 1u);
  EXPECT_EQ(cap_problems(), 1u);
  // More of the same: still capped, no second Event for the same fence.
  for (int i = 3; i < 5; ++i) call("dest-" + std::to_string(i) + ".default");
  ASSERT_TRUE(folded([](const LearningLoop::Stats& s) { return s.dropped_at_cap.load() >= 4; }));
  EXPECT_TRUE(learned_settles_at(3)) << learned().dump();
  EXPECT_EQ(cap_problems(), 1u);
  // After a reset the fence learns again, and is reported again when it fills up.
  ASSERT_TRUE(loop_->reset("default", "caller"));
  ASSERT_TRUE(learned_settles_at(0)) << learned().dump();
  for (int i = 0; i < 5; ++i) call("dest-" + std::to_string(i) + ".default");
  ASSERT_TRUE(folded([](const LearningLoop::Stats& s) { return s.dropped_at_cap.load() >= 6; }));
  EXPECT_TRUE(learned_settles_at(3)) << learned().dump();
  EXPECT_EQ(cap_problems(), 2u);
}

TEST(LearnedHostsConfig, TheCapIsBounded) {
  for (const char* general : {R"({"maxLearnedHostsPerFence": 0})", R"({"maxLearnedHostsPerFence": 100000})"}) {
    auto cfg = core::parse_slime_config(core::Json::parse(std::string(R"({"name":"lazyload","enable":true,"general":)") + general + "}"));
    ASSERT_TRUE(cfg);
    auto fence = lazyload::parse_config(cfg->modules.at(0));
    ASSERT_FALSE(fence) << general;
    EXPECT_EQ(fence.error().field, "maxLearnedHostsPerFence");
  }
}

}  // namespace
}  // namespace slime::learning

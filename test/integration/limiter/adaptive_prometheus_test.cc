// The adaptive path end to end against a real Prometheus: an exporter served by this test, Prometheus
// scraping it every second, the Prometheus client resolving the limiter's handler queries, and the
// limiter module re-rendered from the answers. Changing the exported value flips the condition and
// recomputes the quota.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "prometheus_fixture.h"
#include "slime/core/yaml.h"
#include "slime/metric/adaptive_round.h"
#include "slime/metric/metric_cache.h"
#include "slime/modules/registry.h"
#include "slime/store/memory_store.h"
#include "test_exporter.h"

namespace slime {
namespace {

using namespace std::chrono_literals;

constexpr const char* kObjects = R"(
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-1, namespace: default, labels: {app: reviews}}
status: {phase: Running}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-2, namespace: default, labels: {app: reviews}}
status: {phase: Running}
---
apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: reviews, namespace: default}
spec:
  target: {port: 9080}
  sets:
    _base:
      descriptor:
      - action: {fill_interval: {seconds: 1}, quota: "{{._base.load}}/10", strategy: single}
        condition: "{{._base.load}} > 100"
)";

std::string exported(int reviews1, int reviews2) {
  return "# TYPE slime_test_load gauge\n"
         "slime_test_load{pod=\"reviews-1\"} " + std::to_string(reviews1) + "\n"
         "slime_test_load{pod=\"reviews-2\"} " + std::to_string(reviews2) + "\n"
         "slime_test_load{pod=\"ratings-1\"} 1000\n";
}

class AdaptiveLimiter : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(exporter_.ok());
    exporter_.set_body(exported(20, 30));
    prometheus_ = std::make_unique<testing::PrometheusProcess>("127.0.0.1:" + std::to_string(exporter_.port()));
    ASSERT_TRUE(prometheus_->available()) << prometheus_->error();
    client_ = std::make_unique<metric::PrometheusClient>(metric::PrometheusOptions{prometheus_->address()});

    module_ = modules::create("limiter");
    ASSERT_TRUE(module_);
    core::ModuleConfig config;
    config.name = config.kind = "limiter";
    config.enable = true;
    config.general = {{"disableGlobalRateLimit", true}, {"disableInsertLocalRateLimit", true}};
    config.metric.has_prometheus = true;
    config.metric.prometheus_address = prometheus_->address();
    config.metric.prometheus_handlers["load"] = {"sum(slime_test_load{pod=~\"$pod_name\"})", core::PrometheusHandler::Type::kValue};
    ASSERT_TRUE(module_->configure(config));

    auto docs = core::parse_yaml_documents(kObjects);
    ASSERT_TRUE(docs.errors.empty());
    for (auto& d : docs.documents) store_.put(core::Object(d.json));
  }

  // One adaptive round: ask for the queries, resolve them, render. Returns the rendered output.
  core::ModuleOutput round() {
    core::RenderContext ctx{store_, cache_, std::chrono::system_clock::now()};
    auto requests = module_->metric_requests(ctx, "SmartLimiter/default/reviews");
    EXPECT_EQ(requests.size(), 1u);
    auto resolved = metric::resolve(*client_, requests, cache_);
    EXPECT_TRUE(resolved.errors.empty()) << (resolved.errors.empty() ? "" : resolved.errors[0].str());
    return module_->reconcile(ctx, "SmartLimiter/default/reviews");
  }

  // Rounds until the limiter's metricStatus shows the wanted load (Prometheus scrapes every second).
  core::ModuleOutput round_until_load(const std::string& load) {
    core::ModuleOutput out;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      out = round();
      if (!out.statuses.empty() && out.statuses[0].status.contains("metricStatus") &&
          out.statuses[0].status["metricStatus"].value("_base.load", "") == load)
        return out;
      std::this_thread::sleep_for(200ms);
    }
    ADD_FAILURE() << "the load never became " << load << "; last status: "
                  << (out.statuses.empty() ? "none" : out.statuses[0].status.dump());
    return out;
  }

  static const core::Json* bucket(const core::ModuleOutput& out) {
    if (out.objects.size() != 1) return nullptr;
    for (const auto& p : out.objects[0].spec()["configPatches"])
      if (p["patch"]["value"].contains("typed_per_filter_config"))
        return &p["patch"]["value"]["typed_per_filter_config"]["envoy.filters.http.local_ratelimit"]["value"]
                  ["descriptors"][0];
    return nullptr;
  }

  testing::TestExporter exporter_;
  std::unique_ptr<testing::PrometheusProcess> prometheus_;
  std::unique_ptr<metric::PrometheusClient> client_;
  std::unique_ptr<core::Module> module_;
  store::MemoryStore store_;
  metric::MetricCache cache_;
};

TEST_F(AdaptiveLimiter, ConditionFlipsAndQuotaFollowsTheMetric) {
  // 20 + 30 = 50: the condition (> 100) is false, nothing renders, the status shows the material.
  auto out = round_until_load("50");
  EXPECT_TRUE(out.objects.empty());
  EXPECT_TRUE(out.problems.empty()) << out.problems[0].str();
  EXPECT_EQ(out.statuses[0].status["metricStatus"].value("_base.pod", ""), "2");
  EXPECT_FALSE(out.statuses[0].status.contains("ratelimitStatus"));

  // 150: the condition holds, quota 150/10 = 15.
  exporter_.set_body(exported(100, 50));
  out = round_until_load("150");
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_EQ(out.objects[0].name(), "reviews.default.ratelimit");
  const core::Json* b = bucket(out);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)["tokenBucket"]["maxTokens"], 15);
  std::string first_id = (*b)["entries"][0]["value"].get<std::string>();
  EXPECT_EQ(out.statuses[0].status["ratelimitStatus"]["_base"]["descriptor"][0]["action"]["quota"], "15");

  // 305: quota recomputed to ceil(30.5) = 31, and the descriptor identity follows the quota.
  exporter_.set_body(exported(300, 5));
  out = round_until_load("305");
  b = bucket(out);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ((*b)["tokenBucket"]["maxTokens"], 31);
  EXPECT_NE((*b)["entries"][0]["value"].get<std::string>(), first_id);

  // Back below the threshold: the EnvoyFilter is no longer rendered (the driver prunes it).
  exporter_.set_body(exported(1, 2));
  out = round_until_load("3");
  EXPECT_TRUE(out.objects.empty());
  EXPECT_GT(exporter_.scrapes(), 3);
}

TEST_F(AdaptiveLimiter, AdaptiveRoundReportsOnlyKeysWhoseMetricsChanged) {
  core::RenderContext ctx{store_, cache_, std::chrono::system_clock::now()};
  auto deadline = std::chrono::steady_clock::now() + 30s;
  metric::AdaptiveRound r;
  // The first answer is a change (nothing was known); wait until Prometheus has scraped 20 + 30.
  do {
    r = metric::run_adaptive_round(*module_, ctx, *client_, cache_);
    ASSERT_TRUE(r.errors.empty()) << r.errors[0].str();
    ASSERT_EQ(r.queries, 1u);
    auto status = module_->reconcile(ctx, "SmartLimiter/default/reviews").statuses.at(0).status;
    if (status.contains("metricStatus") && status["metricStatus"].value("_base.load", "") == "50") break;
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  // Same value again: no key to re-render.
  r = metric::run_adaptive_round(*module_, ctx, *client_, cache_);
  EXPECT_TRUE(r.changed_keys.empty());
  // A new value: exactly the limiter's key.
  exporter_.set_body(exported(200, 0));
  deadline = std::chrono::steady_clock::now() + 30s;
  do {
    r = metric::run_adaptive_round(*module_, ctx, *client_, cache_);
    if (!r.changed_keys.empty()) break;
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(r.changed_keys, std::vector<std::string>{"SmartLimiter/default/reviews"});
  auto out = module_->reconcile(ctx, "SmartLimiter/default/reviews");
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_EQ((*bucket(out))["tokenBucket"]["maxTokens"], 20);
}

TEST_F(AdaptiveLimiter, ClientReportsQueryErrors) {
  auto bad = client_->query("sum(");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad_data"), std::string::npos) << bad.error().message;
  auto scalar = client_->query("1+1");
  ASSERT_TRUE(scalar) << scalar.error().message;
  ASSERT_EQ(scalar->size(), 1u);
  EXPECT_EQ((*scalar)[0]["value"], 2.0);
}

}  // namespace
}  // namespace slime

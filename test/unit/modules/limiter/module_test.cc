#include <gtest/gtest.h>

#include "slime/core/module.h"
#include "slime/core/yaml.h"
#include "slime/modules/limiter/rls_config.h"
#include "slime/modules/registry.h"
#include "slime/store/memory_store.h"

namespace slime::limiter {
namespace {

constexpr const char* kWorld = R"(
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {selector: {app: reviews}}
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-1, namespace: default, labels: {app: reviews}}
status: {phase: Running}
---
apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: reviews, namespace: default}
spec:
  sets:
    _base:
      descriptor:
      - action: {fill_interval: {seconds: 1}, quota: "{{._base.cpu}}", strategy: global}
        condition: "true"
---
apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: local, namespace: other}
spec:
  workloadSelector: {app: x}
  sets: {_base: {descriptor: [{action: {fill_interval: {seconds: 1}, quota: "1"}, condition: "true"}]}}
)";

class LimiterModule : public ::testing::Test {
 protected:
  void SetUp() override {
    module_ = modules::create("limiter");
    ASSERT_TRUE(module_);
    core::ModuleConfig c;
    c.name = c.kind = "limiter";
    c.general = {{"rlsConfigMap", {{"name", "rl"}, {"namespace", "istio-system"}}},
                 {"rls", {{"service", "rls.istio-system.svc.cluster.local"}, {"port", 18081}}},
                 {"sttrategy", 1}};
    c.metric.prometheus_handlers["cpu"] = {"sum(cpu{pod=~\"$pod_name\"})", core::PrometheusHandler::Type::kValue};
    ASSERT_TRUE(module_->configure(c));
    auto docs = core::parse_yaml_documents(kWorld);
    ASSERT_TRUE(docs.errors.empty());
    for (auto& d : docs.documents) store_.put(core::Object(d.json));
  }
  core::RenderContext ctx() { return {store_, metrics_, {}}; }

  std::unique_ptr<core::Module> module_;
  store::MemoryStore store_;
  core::NoMetrics metrics_;
};

TEST_F(LimiterModule, ConfigWarningsNameUnknownKeys) {
  auto w = module_->config_warnings();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].field, "general.sttrategy");
}

TEST_F(LimiterModule, KeysAndWhatAChangeAffects) {
  auto c = ctx();
  EXPECT_EQ(module_->keys(c),
            (std::vector<std::string>{"SmartLimiter/default/reviews", "SmartLimiter/other/local", "ratelimit-config"}));
  core::Object pod("v1", "Pod", "default", "reviews-2");
  EXPECT_EQ(module_->keys_for(c, pod), (std::vector<std::string>{"SmartLimiter/default/reviews", "ratelimit-config"}));
  core::Object cm("v1", "ConfigMap", "istio-system", "rl");
  EXPECT_EQ(module_->keys_for(c, cm), std::vector<std::string>{"ratelimit-config"});
  core::Object unrelated("v1", "ConfigMap", "istio-system", "other");
  EXPECT_TRUE(module_->keys_for(c, unrelated).empty());
  core::Object ef("networking.istio.io/v1alpha3", "EnvoyFilter", "other", "local.other.ratelimit");
  ef.add_owner(*store_.get({{"microservice.slime.io", "SmartLimiter"}, "other", "local"}));
  EXPECT_EQ(module_->keys_for(c, ef), std::vector<std::string>{"SmartLimiter/other/local"});
}

TEST_F(LimiterModule, MetricRequestsOfLimiterAndConfigMap) {
  auto c = ctx();
  auto r = module_->metric_requests(c, "SmartLimiter/default/reviews");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].query, "sum(cpu{pod=~\"reviews-1\"})");
  EXPECT_EQ(module_->metric_requests(c, "ratelimit-config"), r);  // the ConfigMap needs the global limiters' metrics
  EXPECT_TRUE(module_->metric_requests(c, "SmartLimiter/other/local").empty());  // no pods, no $pod_name query
}

TEST_F(LimiterModule, UnreadableRlsConfigIsLeftUnchanged) {
  core::Object cm("v1", "ConfigMap", "istio-system", "rl");
  cm.json()["data"]["config.yaml"] = "descriptors: {not: a list}";
  store_.put(cm);
  auto c = ctx();
  auto out = module_->reconcile(c, "ratelimit-config");
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_EQ(out.objects[0].json()["data"]["config.yaml"], "descriptors: {not: a list}");
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_NE(out.problems[0].str().find("left unchanged"), std::string::npos);
}

TEST_F(LimiterModule, ConfigMapIsNotCreatedEmpty) {
  // reviews' quota needs a metric that render does not have: no global entry, no ConfigMap to create.
  auto c = ctx();
  auto out = module_->reconcile(c, "ratelimit-config");
  EXPECT_TRUE(out.objects.empty());
  auto lim = module_->reconcile(c, "SmartLimiter/default/reviews");
  EXPECT_TRUE(lim.objects.empty());
  ASSERT_EQ(lim.problems.size(), 1u);
  EXPECT_NE(lim.problems[0].message.find("{{._base.cpu}} is not available"), std::string::npos);
  EXPECT_EQ(lim.statuses.at(0).status["metricStatus"]["_base.pod"], "1");
}

TEST(RlsConfig, TextLayoutAndOwners) {
  core::Json a = {{"key", "generic_key"},
                  {"value", "Service[b.default]-Id[2]"},
                  {"rate_limit", {{"requests_per_unit", 10}, {"unit", "MINUTE"}}}};
  core::Json b = {{"key", "header_match"},
                  {"value", "Service[a.default]-Id[1]"},
                  {"descriptors", core::Json::array({{{"key", "remote_address"},
                                                      {"value", "10.0.0.1"},
                                                      {"rate_limit", {{"requests_per_unit", 5}, {"unit", "SECOND"}}}}})}};
  EXPECT_EQ(rls_config_yaml("slime", {a, b}),
            "domain: slime\n"
            "descriptors:\n"
            "- key: header_match\n"
            "  value: Service[a.default]-Id[1]\n"
            "  descriptors:\n"
            "  - key: remote_address\n"
            "    value: \"10.0.0.1\"\n"
            "    rate_limit:\n"
            "      requests_per_unit: 5\n"
            "      unit: SECOND\n"
            "- key: generic_key\n"
            "  value: Service[b.default]-Id[2]\n"
            "  rate_limit:\n"
            "    requests_per_unit: 10\n"
            "    unit: MINUTE\n");
  EXPECT_EQ(generated_owner("Service[my.svc.default]-Id[123]"), (std::pair<std::string, std::string>{"default", "my.svc"}));
  EXPECT_FALSE(generated_owner("Service[x]-Id[1]"));
  EXPECT_FALSE(generated_owner("Service[a.b]-Id[x]"));
  EXPECT_FALSE(generated_owner("custom"));
}

}  // namespace
}  // namespace slime::limiter

namespace slime::limiter {
namespace {

TEST_F(LimiterModule, DestinationRuleInTheRootNamespaceReachesItsHostsLimiter) {
  core::Object dr("networking.istio.io/v1beta1", "DestinationRule", "istio-system", "reviews");
  dr.json()["spec"] = {{"host", "reviews.default.svc.cluster.local"}};
  auto c = ctx();
  EXPECT_EQ(module_->keys_for(c, dr), (std::vector<std::string>{"SmartLimiter/default/reviews", "ratelimit-config"}));
}

}  // namespace
}  // namespace slime::limiter

namespace slime::limiter {
namespace {

TEST_F(LimiterModule, OddForeignRlsEntriesAreKeptVerbatim) {
  core::Object cm("v1", "ConfigMap", "istio-system", "rl");
  cm.json()["data"]["config.yaml"] = "domain: x\ndescriptors: [1, {key: a, descriptors: [2, null], value: {x: 1}}]\n";
  store_.put(cm);
  auto c = ctx();
  core::ModuleOutput out;
  ASSERT_NO_THROW(out = module_->reconcile(c, "ratelimit-config"));
  ASSERT_EQ(out.objects.size(), 1u);
  auto text = out.objects[0].json()["data"]["config.yaml"].get<std::string>();
  auto parsed = core::parse_yaml(text);
  ASSERT_TRUE(parsed) << text;
  EXPECT_EQ((*parsed)["domain"], "slime");
  EXPECT_EQ((*parsed)["descriptors"].size(), 2u) << text;
  EXPECT_TRUE(out.problems.empty());
}

}  // namespace
}  // namespace slime::limiter

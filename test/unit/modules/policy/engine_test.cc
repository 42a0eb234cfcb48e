// The policy engine through the module contract: keys, metric requests, rules, outputs, hysteresis.
#include <gtest/gtest.h>

#include "slime/core/yaml.h"
#include "slime/metric/metric_cache.h"
#include "slime/modules/registry.h"
#include "slime/store/memory_store.h"

namespace slime::policy {
namespace {

using namespace std::chrono_literals;

constexpr const char* kDefinition = R"(watch:
  apiVersion: v1
  kind: Service
  namespaces: [shop]
  selector: {matchLabels: {guard: "on"}}
queries:
  errors: 'sum(rate(req{svc="{{.metadata.name}}",code=~"5.."}[1m]))'
rules:
- name: hot
  when: "{{.errors}} > {{.metadata.annotations.threshold}}"
  outputs:
  - apiVersion: networking.istio.io/v1beta1
    kind: DestinationRule
    metadata: {name: "{{.metadata.name}}-guard", annotations: {errors: "{{.errors}}", twice: "=2 * {{.errors}}"}}
    spec:
      host: "{{.metadata.name}}.{{.metadata.namespace}}.svc.cluster.local"
      errors: "{{.errors}}"
      ejections: "=10 * {{.errors}}"
      port: "{{.spec.ports.0.port}}"
refresh: 10s
)";

constexpr const char* kWorld = R"(
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop, labels: {guard: "on"}, annotations: {threshold: "0.5"}}
spec: {ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: quiet, namespace: shop, labels: {guard: "off"}}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: other, labels: {guard: "on"}}
)";

class PolicyEngine : public ::testing::Test {
 protected:
  void configure(const std::string& definition) {
    module_ = modules::create("policy");
    ASSERT_TRUE(module_);
    core::ModuleConfig c;
    c.name = "guard";
    c.kind = "policy";
    c.general = {{"definitionText", definition}, {"definitionFile", "guard.yaml"}};
    ASSERT_TRUE(module_->configure(c));
  }
  void SetUp() override {
    configure(kDefinition);
    auto docs = core::parse_yaml_documents(kWorld);
    ASSERT_TRUE(docs.errors.empty());
    for (auto& d : docs.documents) store_.put(core::Object(d.json));
  }
  core::RenderContext ctx(std::chrono::seconds now = 1000s) {
    return {store_, metrics_, std::chrono::system_clock::time_point(now)};
  }
  void answer(double v) {
    metrics_.set({"prometheus", "sum(rate(req{svc=\"cart\",code=~\"5..\"}[1m]))"}, core::Json::array({{{"metric", core::Json::object()}, {"value", v}}}));
  }

  std::unique_ptr<core::Module> module_;
  store::MemoryStore store_;
  metric::MetricCache metrics_;
};

TEST_F(PolicyEngine, OneKeyPerSelectedObjectAndItsQueries) {
  EXPECT_EQ(module_->keys(ctx()), std::vector<std::string>{"shop/cart"});
  auto reqs = module_->metric_requests(ctx(), "shop/cart");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].query, "sum(rate(req{svc=\"cart\",code=~\"5..\"}[1m]))");
  EXPECT_TRUE(module_->metric_requests(ctx(), "shop/quiet").empty());
  EXPECT_EQ(module_->metric_refresh(), 10s);
  auto reads = module_->reads();
  EXPECT_NE(std::find(reads.begin(), reads.end(), core::GroupKind{"", "Service"}), reads.end());
  EXPECT_EQ(module_->writes(), (std::vector<core::GroupKind>{{"networking.istio.io", "DestinationRule"}}));
}

TEST_F(PolicyEngine, WritesWhileTheRuleHoldsAndNothingOtherwise) {
  answer(0.7);
  auto out = module_->reconcile(ctx(), "shop/cart");
  ASSERT_TRUE(out.problems.empty()) << out.problems[0].str();
  ASSERT_EQ(out.objects.size(), 1u);
  const core::Object& dr = out.objects[0];
  EXPECT_EQ(dr.name(), "cart-guard");
  EXPECT_EQ(dr.ns(), "shop");
  EXPECT_EQ(dr.spec()["host"], "cart.shop.svc.cluster.local");
  EXPECT_EQ(dr.spec()["errors"], 0.7);
  EXPECT_EQ(dr.spec()["ejections"], 7);
  EXPECT_EQ(dr.spec()["port"], 8080);  // a sole placeholder keeps the field's type
  EXPECT_EQ(dr.annotation("errors"), "0.7");  // ... except where Kubernetes wants strings
  EXPECT_EQ(dr.annotation("twice"), "1.4");
  EXPECT_EQ(dr.annotation("slime.io/policy"), "guard");
  EXPECT_EQ(dr.annotation("slime.io/policy-object"), "shop/cart");
  EXPECT_EQ(module_->keys_for(ctx(), dr), std::vector<std::string>{"shop/cart"});

  answer(0.2);
  out = module_->reconcile(ctx(), "shop/cart");
  EXPECT_TRUE(out.problems.empty());
  EXPECT_TRUE(out.objects.empty());
}

TEST_F(PolicyEngine, MissingMetricIsAProblemAndTheRuleDoesNotHold) {
  auto out = module_->reconcile(ctx(), "shop/cart");
  EXPECT_TRUE(out.objects.empty());
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].file, "guard.yaml");
  EXPECT_EQ(out.problems[0].line, 10);
  EXPECT_EQ(out.problems[0].object, "Service shop/cart");
  EXPECT_NE(out.problems[0].message.find("no value yet for query"), std::string::npos);

  metrics_.set({"prometheus", "sum(rate(req{svc=\"cart\",code=~\"5..\"}[1m]))"}, core::Json::array());
  out = module_->reconcile(ctx(), "shop/cart");
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_NE(out.problems[0].message.find("returned 0 samples"), std::string::npos) << out.problems[0].message;
}

TEST_F(PolicyEngine, HysteresisHoldsAChangeForNTicks) {
  std::string def = kDefinition;
  def += "hysteresis: 3\n";
  configure(def);
  // No state yet: the rule takes effect at once and the state is recorded.
  answer(0.7);
  auto out = module_->reconcile(ctx(1000s), "shop/cart");
  ASSERT_EQ(out.objects.size(), 2u);
  const core::Object& state = out.objects[1];
  EXPECT_EQ(state.kind(), "ConfigMap");
  EXPECT_EQ(state.name(), "slime-policy.guard.cart");
  EXPECT_EQ(state.json()["data"], (core::Json{{"hot", "on"}}));
  store_.put(state);

  // The rule stops holding: the output stays for 3 ticks (30 s), then goes.
  answer(0.1);
  out = module_->reconcile(ctx(1005s), "shop/cart");
  ASSERT_EQ(out.objects.size(), 2u);
  EXPECT_EQ(out.objects[1].json()["data"], (core::Json{{"hot", "on"}, {"hot.pendingSince", "1005"}}));
  ASSERT_TRUE(out.revisit_at);
  EXPECT_EQ(*out.revisit_at, std::chrono::system_clock::time_point(1035s));
  store_.put(out.objects[1]);
  out = module_->reconcile(ctx(1034s), "shop/cart");
  EXPECT_EQ(out.objects.size(), 2u);
  out = module_->reconcile(ctx(1035s), "shop/cart");
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_EQ(out.objects[0].json()["data"], (core::Json{{"hot", "off"}}));
  store_.put(out.objects[0]);

  // A blip back above the threshold that does not last resets the count.
  answer(0.9);
  out = module_->reconcile(ctx(1040s), "shop/cart");
  ASSERT_EQ(out.objects.size(), 1u);
  store_.put(out.objects[0]);
  answer(0.1);
  out = module_->reconcile(ctx(1050s), "shop/cart");
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_EQ(out.objects[0].json()["data"], (core::Json{{"hot", "off"}}));
}

TEST_F(PolicyEngine, BrokenDefinitionReportsThroughItsOwnKey) {
  configure("watch: {apiVersion: v1, kind: Service}\nrules: []\n");
  EXPECT_EQ(module_->keys(ctx()), std::vector<std::string>{"definition"});
  EXPECT_TRUE(module_->reads().empty());
  auto out = module_->reconcile(ctx(), "definition");
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].str(), "guard.yaml:2: rules: expected a non-empty list of {name, when, outputs}");
}

TEST_F(PolicyEngine, RelabelledObjectKeepsItsKeyButRendersNothing) {
  core::Object quiet = *store_.get({{"", "Service"}, "shop", "quiet"});
  EXPECT_EQ(module_->keys_for(ctx(), quiet), std::vector<std::string>{"shop/quiet"});
  EXPECT_TRUE(module_->reconcile(ctx(), "shop/quiet").objects.empty());
}

}  // namespace
}  // namespace slime::policy

// The module through the core::Module interface: keys, keys_for, metric requests, Prometheus results.
#include <algorithm>

#include "slime/modules/lazyload/prometheus.h"
#include "slime/modules/registry.h"
#include "test_util.h"

namespace slime::lazyload {
namespace {
using testing::at;
using testing::snapshot_of;

std::unique_ptr<core::Module> module_of(const std::string& general, const std::string& metric = "null") {
  core::Json entry = {{"name", "lazyload"}, {"kind", "lazyload"}, {"enable", true}};
  entry["general"] = *core::parse_yaml(general);
  entry["metric"] = *core::parse_yaml(metric);
  std::vector<core::Error> warnings;
  auto cfg = core::parse_module_config(entry, "", warnings);
  EXPECT_TRUE(cfg);
  auto m = modules::create("lazyload");
  EXPECT_TRUE(m);
  EXPECT_TRUE(m->configure(*cfg));
  return m;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

const char* kWorld = R"(
apiVersion: v1
kind: Namespace
metadata: {name: default}
---
apiVersion: v1
kind: Service
metadata: {name: details, namespace: default}
spec: {selector: {app: details}}
---
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: productpage, namespace: default}
spec: {enable: true, host: {"default/*": {}}}
---
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: other, namespace: test}
spec: {enable: true}
)";

TEST(Module, KeysAndKeysFor) {
  auto m = module_of("{autoFence: true}");
  auto snap = snapshot_of(kWorld);
  core::NoMetrics none;
  core::RenderContext ctx{snap, none, at(1700000000)};
  auto keys = m->keys(ctx);
  EXPECT_TRUE(has(keys, "fence/default/productpage"));
  EXPECT_TRUE(has(keys, "fence/test/other"));
  EXPECT_TRUE(has(keys, "autofence/default/details"));
  EXPECT_TRUE(has(keys, "global-sidecar"));

  auto svc = *snap.get({{"", "Service"}, "default", "details"});
  auto k = m->keys_for(ctx, svc);
  EXPECT_TRUE(has(k, "autofence/default/details"));
  EXPECT_TRUE(has(k, "fence/default/productpage"));  // default/* covers the Service
  EXPECT_FALSE(has(k, "fence/test/other"));
  EXPECT_TRUE(has(k, "global-sidecar"));

  auto ns = *snap.get({{"", "Namespace"}, "", "default"});
  EXPECT_TRUE(has(m->keys_for(ctx, ns), "autofence/default/details"));
  core::Object sidecar("networking.istio.io/v1alpha3", "Sidecar", "test", "other");
  EXPECT_EQ(m->keys_for(ctx, sidecar), std::vector<std::string>{"fence/test/other"});
}

TEST(Module, PrometheusModeAsksAndRecords) {
  auto m = module_of("{metricSourceType: prometheus, globalSidecar: {enable: false}}",
                     R"({prometheus: {address: "http://p:9090", handlers: {d: {query: 'sum(istio_requests_total{source_app="$source_app",destination_service_namespace!="$namespace"})by(destination_service)'}}}})");
  auto snap = snapshot_of(kWorld);
  struct Answers : core::MetricValues {
    core::Json value = core::Json::array({core::Json{{"metric", {{"destination_service", "details.default.svc.cluster.local"}}}, {"value", 3.5}}});
    mutable std::vector<core::MetricRequest> asked;
    const core::Json* get(const core::MetricRequest& r) const override {
      asked.push_back(r);
      return &value;
    }
  } answers;
  core::RenderContext ctx{snap, answers, at(1700000000)};
  auto reqs = m->metric_requests(ctx, "fence/default/productpage");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].source, "prometheus");
  EXPECT_EQ(reqs[0].query,
            "sum(istio_requests_total{source_app=\"productpage\",destination_service_namespace!=\"default\"})by(destination_service)");
  auto out = m->reconcile(ctx, "fence/default/productpage");
  ASSERT_EQ(out.statuses.size(), 1u);
  EXPECT_EQ(out.statuses[0].status["metricStatus"]["{destination_service=\"details.default.svc.cluster.local\"}"], "3.5");
  ASSERT_EQ(out.objects.size(), 1u);
  const auto& hosts = out.objects[0].spec()["egress"][0]["hosts"];
  EXPECT_EQ(hosts[0], "*/details.default.svc.cluster.local");
}

TEST(Prometheus, VectorConversion) {
  auto v = *core::parse_yaml(R"([{metric: {destination_service: a, __name__: m}, value: [1700000000, "12"]},
                                  {metric: {b: "2", a: "1"}, value: 0.25}, {metric: {}, value: 1e21}])");
  auto m = metric_status_from_vector(v);
  EXPECT_EQ(m["m{destination_service=\"a\"}"], "12");
  EXPECT_EQ(m["{a=\"1\", b=\"2\"}"], "0.25");
  EXPECT_EQ(m["{}"], "1000000000000000000000");
  EXPECT_EQ(prometheus_query("$namespace/$source_app/$x", "ns", "app"), "ns/app/$x");
}

}  // namespace
}  // namespace slime::lazyload

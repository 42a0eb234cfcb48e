// Prometheus mode (spec §5.11) end to end against a real Prometheus: an exporter serves
// istio_requests_total as the destination sidecars would report it, Prometheus scrapes it, the fence key's
// PromQL query (the one documented upstream) is answered by the real server, and the fence's status and
// Sidecar follow; when a series disappears the dependency goes through EXPIREWAIT and is dropped (§5.5).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "prometheus_fixture.h"
#include "slime/core/yaml.h"
#include "slime/metric/metric_cache.h"
#include "slime/metric/prometheus_client.h"
#include "slime/modules/registry.h"
#include "slime/store/memory_store.h"
#include "test_exporter.h"

namespace slime {
namespace {

constexpr const char* kQuery =
    R"(sum(istio_requests_total{source_app="$source_app",reporter="destination"})by(destination_service))";

std::string series(const std::string& source, const std::string& dest, int value) {
  return "istio_requests_total{reporter=\"destination\",source_app=\"" + source + "\",destination_service=\"" + dest +
         "\"} " + std::to_string(value) + "\n";
}

std::unique_ptr<core::Module> prometheus_module(const std::string& address) {
  core::Json entry = {{"name", "lazyload"}, {"kind", "lazyload"}, {"enable", true}};
  entry["general"] = {{"metricSourceType", "prometheus"}, {"globalSidecar", {{"enable", false}}}};
  entry["metric"] = {{"prometheus", {{"address", address}, {"handlers", {{"destination", {{"query", kQuery}}}}}}}};
  std::vector<core::Error> warnings;
  auto cfg = core::parse_module_config(entry, "", warnings);
  EXPECT_TRUE(cfg) << (cfg ? "" : cfg.error().str());
  auto m = modules::create("lazyload");
  EXPECT_TRUE(m && m->configure(*cfg));
  return m;
}

// Queries until the answer has `want` samples (Prometheus needs a scrape or two after a change).
core::Json wait_for(metric::PrometheusClient& client, const std::string& query, size_t want) {
  core::Json last;
  for (int i = 0; i < 150; ++i) {
    auto r = client.query(query);
    if (r && r->is_array() && r->size() == want) return *r;
    if (r) last = *r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "Prometheus never answered " << want << " samples for " << query << "; last: " << last.dump();
  return last;
}

TEST(LazyloadPrometheus, LearnsAndForgetsDependenciesFromARealPrometheus) {
  testing::TestExporter exporter;
  ASSERT_TRUE(exporter.ok());
  exporter.set_body("# TYPE istio_requests_total counter\n" +
                    series("productpage", "details.default.svc.cluster.local", 5) +
                    series("productpage", "reviews.default.svc.cluster.local", 3) +
                    series("reviews", "ratings.default.svc.cluster.local", 9));
  testing::PrometheusProcess prometheus("127.0.0.1:" + std::to_string(exporter.port()));
  ASSERT_TRUE(prometheus.available()) << prometheus.error();

  auto module = prometheus_module(prometheus.address());
  store::MemoryStore world;
  world.put(core::Object(*core::parse_yaml(R"({apiVersion: microservice.slime.io/v1alpha1, kind: ServiceFence,
      metadata: {name: productpage, namespace: default, uid: u1}, spec: {enable: true}})")));
  metric::PrometheusClient client({prometheus.address()});
  metric::MetricCache cache;
  core::RenderContext ctx{world, cache, std::chrono::system_clock::now()};

  auto requests = module->metric_requests(ctx, "fence/default/productpage");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].query,
            R"(sum(istio_requests_total{source_app="productpage",reporter="destination"})by(destination_service))");
  cache.set(requests[0], wait_for(client, requests[0].query, 2));

  auto out = module->reconcile(ctx, "fence/default/productpage");
  ASSERT_EQ(out.statuses.size(), 1u);
  const auto& status = out.statuses[0].status;
  EXPECT_EQ(status["metricStatus"]["{destination_service=\"details.default.svc.cluster.local\"}"], "5");
  EXPECT_EQ(status["metricStatus"]["{destination_service=\"reviews.default.svc.cluster.local\"}"], "3");
  EXPECT_EQ(status["metricStatus"].size(), 2u);  // reviews' own calls are not productpage's
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_EQ(out.objects[0].spec()["egress"][0]["hosts"],
            core::Json({"*/details.default.svc.cluster.local", "*/reviews.default.svc.cluster.local", "istio-system/*",
                        "mesh-operator/*"}));

  // The reviews series disappears: the next answer drops it, the domain waits one round, then goes.
  core::Object fence = *world.get({{"microservice.slime.io", "ServiceFence"}, "default", "productpage"});
  fence.json()["status"] = status;
  world.put(fence);
  exporter.set_body("# TYPE istio_requests_total counter\n" +
                    series("productpage", "details.default.svc.cluster.local", 6));
  cache.set(requests[0], wait_for(client, requests[0].query, 1));
  out = module->reconcile(ctx, "fence/default/productpage");
  ASSERT_EQ(out.statuses.size(), 1u);
  EXPECT_EQ(out.statuses[0].status["domains"]["reviews.default.svc.cluster.local"]["status"], "EXPIREWAIT");
  EXPECT_EQ(out.objects[0].spec()["egress"][0]["hosts"].size(), 4u);  // still in the Sidecar for this round

  fence.json()["status"] = out.statuses[0].status;
  world.put(fence);
  out = module->reconcile(ctx, "fence/default/productpage");
  EXPECT_FALSE(out.statuses[0].status["domains"].contains("reviews.default.svc.cluster.local"));
  EXPECT_EQ(out.objects[0].spec()["egress"][0]["hosts"],
            core::Json({"*/details.default.svc.cluster.local", "istio-system/*", "mesh-operator/*"}));
}

}  // namespace
}  // namespace slime

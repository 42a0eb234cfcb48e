// Malformed resources of every kind the module reads: every key reconciles without throwing, and the
// problems name the object and field.
#include "slime/modules/registry.h"
#include "test_util.h"

namespace slime::lazyload {
namespace {
using testing::at;

const char* kGarbage = R"(
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: a, namespace: default, labels: {app.kubernetes.io/created-by: fence-controller}}
spec: {enable: "yes", host: [1], namespaceSelector: x, labelSelector: [1, {selector: []}], workloadSelector: {fromService: 1, labels: [a]}}
status: {domains: {x: 1, y: {hosts: "h", status: WHAT}}, metricStatus: {'{destination_service="n.default.svc.cluster.local"}': 5, bad: [1]}, metricLastSeen: 7}
---
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: b, namespace: default}
spec: {enable: true, host: {"x": {stable: 1, deadline: 2, auto: {duration: "x"}, RecentlyCalled: []}}}
status: [1, 2]
---
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: c, namespace: default}
spec: null
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: default}
spec: {selector: [1], ports: {a: 1}}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: default}
spec: "text"
---
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {slime.io/serviceFenced: "true"}}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: v, namespace: default}
spec: {hosts: [1, b], http: [1, {route: [1, {destination: 1}, {destination: {host: 2}}]}]}
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: {name: se, namespace: default}
spec: {ports: [1, {number: "x", protocol: 3}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: default, labels: {wl: v}}
status: {podIP: 5}
---
apiVersion: v1
kind: Endpoints
metadata: {name: a, namespace: default}
subsets: [1, {addresses: [1, {ip: 3}]}]
)";

TEST(Robustness, MalformedResourcesNeverThrow) {
  auto snap = testing::snapshot_of(kGarbage);
  core::Json entry = {{"name", "lazyload"}, {"kind", "lazyload"}, {"enable", true}};
  entry["general"] = *core::parse_yaml("{autoFence: true, autoPort: true, fenceLabelKeyAlias: wl, dependencyTtl: 1h}");
  std::vector<core::Error> warnings;
  auto cfg = core::parse_module_config(entry, "", warnings);
  ASSERT_TRUE(cfg);
  auto m = modules::create("lazyload");
  ASSERT_TRUE(m->configure(*cfg));
  core::NoMetrics none;
  core::RenderContext ctx{snap, none, at(1700000000)};
  size_t problems = 0;
  EXPECT_NO_THROW({
    for (const auto& key : m->keys(ctx)) {
      auto out = m->reconcile(ctx, key);
      for (const auto& p : out.problems) {
        EXPECT_FALSE(p.object.empty()) << p.str();
        EXPECT_FALSE(p.field.empty()) << p.str();
        ++problems;
      }
    }
    for (const auto* o : snap.list({"", "Service"})) m->keys_for(ctx, *o);
    for (const auto* o : snap.list({"", "Pod"})) m->keys_for(ctx, *o);
  });
  EXPECT_GE(problems, 8u);
}

}  // namespace
}  // namespace slime::lazyload

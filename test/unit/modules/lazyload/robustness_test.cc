// Malformed resources of every kind the module reads: every key reconciles without throwing, renders
// what the valid parts still allow (and nothing for a fence it cannot read), and reports each broken
// field of the module's own resources by object and field.
#include <set>

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

TEST(Robustness, MalformedResourcesRenderWhatIsValidAndNameEveryBrokenField) {
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
  std::set<std::string> rendered;                        // "key: object"
  std::set<std::pair<std::string, std::string>> problems;  // (object, field)
  EXPECT_NO_THROW({
    for (const auto& key : m->keys(ctx)) {
      auto out = m->reconcile(ctx, key);
      for (const auto& o : out.objects)
        if (key != "global-sidecar") rendered.insert(key + ": " + o.ref());
      for (const auto& p : out.problems) EXPECT_TRUE(problems.emplace(p.object, p.field).second) << p.str();
    }
    for (const auto* o : snap.list({"", "Service"})) m->keys_for(ctx, *o);
    for (const auto* o : snap.list({"", "Pod"})) m->keys_for(ctx, *o);
  });
  // Fence a is unreadable (spec.enable is not a boolean): no Sidecar. Fence b's broken strategies are
  // dropped, its Sidecar stays. Service a in the fenced namespace gets its auto fence despite garbage
  // elsewhere; fence c (spec: null) is an empty, disabled fence.
  EXPECT_EQ(rendered, (std::set<std::string>{"fence/default/b: Sidecar default/b",
                                             "autofence/default/a: ServiceFence default/a"}));
  const std::string a = "ServiceFence default/a", b = "ServiceFence default/b";
  std::set<std::pair<std::string, std::string>> want = {
      {a, "spec.enable"},
      {a, "spec.host"},
      {a, "spec.namespaceSelector"},
      {a, "spec.labelSelector[0]"},
      {a, "spec.labelSelector[1].selector"},
      {a, "spec.workloadSelector.fromService"},
      {a, "spec.workloadSelector.labels"},
      {a, "status.domains.x"},
      {a, "status.domains.y.status"},
      {a, "status.metricStatus.bad"},
      {b, "spec.host.x.deadline"},
      {b, "spec.host.x.auto.duration"},
      {b, "spec.host.x.RecentlyCalled"},
      {b, "status"},
  };
  EXPECT_EQ(problems, want);
}

}  // namespace
}  // namespace slime::lazyload

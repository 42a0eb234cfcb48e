#include "slime/modules/lazyload/autofence.h"

#include "test_util.h"

namespace slime::lazyload {
namespace {
using testing::config_of;
using testing::snapshot_of;

core::Object labelled(const char* kind, const char* ns, const char* name, const char* fenced) {
  core::Object o("v1", kind, ns, name);
  if (fenced) o.set_label("slime.io/serviceFenced", fenced);
  return o;
}

// §5.7 step 3, every row.
TEST(AutoFence, DecisionTable) {
  struct Row {
    const char* svc;
    const char* ns;
    bool def;
    bool want;
  } rows[] = {{"true", "false", false, true},  {"true", nullptr, false, true},   {"false", "true", true, false},
              {"false", nullptr, true, false}, {"x", "true", false, true},       {nullptr, "true", false, true},
              {nullptr, "false", true, false}, {"x", "false", true, false},      {nullptr, nullptr, true, true},
              {nullptr, nullptr, false, false}, {"", "", true, true}};
  for (const auto& r : rows) {
    auto svc = labelled("Service", "default", "a", r.svc);
    auto ns = labelled("Namespace", "", "default", r.ns);
    EXPECT_EQ(is_service_fenced(&svc, &ns, r.def), r.want)
        << "svc=" << (r.svc ? r.svc : "-") << " ns=" << (r.ns ? r.ns : "-") << " default=" << r.def;
  }
}

const char* kWorld = R"(
apiVersion: v1
kind: Namespace
metadata: {name: default, labels: {slime.io/serviceFenced: "true"}}
---
apiVersion: v1
kind: Service
metadata: {name: withsel, namespace: default}
spec: {selector: {app: withsel}}
---
apiVersion: v1
kind: Service
metadata: {name: nosel, namespace: default}
spec: {}
---
apiVersion: v1
kind: Service
metadata: {name: off, namespace: default, labels: {slime.io/serviceFenced: "false"}}
spec: {selector: {app: off}}
---
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: off, namespace: default, labels: {app.kubernetes.io/created-by: fence-controller}}
spec: {enable: true}
---
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: gone, namespace: default, labels: {app.kubernetes.io/created-by: fence-controller}}
spec: {enable: true}
---
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: manual, namespace: default}
spec: {enable: true}
)";

TEST(AutoFence, Actions) {
  auto snap = snapshot_of(kWorld);
  auto c = config_of("{autoFence: true}");
  EXPECT_EQ(decide_service_fence(c, snap, "default", "withsel"), AutoFenceVerdict::kWant);
  EXPECT_EQ(decide_service_fence(c, snap, "default", "nosel"), AutoFenceVerdict::kNothing);
  EXPECT_EQ(decide_service_fence(c, snap, "default", "off"), AutoFenceVerdict::kDelete);
  EXPECT_EQ(decide_service_fence(c, snap, "default", "gone"), AutoFenceVerdict::kDelete);
  EXPECT_EQ(decide_service_fence(c, snap, "default", "manual"), AutoFenceVerdict::kNothing);
  auto f = desired_service_fence(c, nullptr, "default", "withsel");
  EXPECT_EQ(f.label("app.kubernetes.io/created-by"), "fence-controller");
  EXPECT_EQ(f.spec()["workloadSelector"]["fromService"], true);
  EXPECT_EQ(f.spec()["enable"], true);
}

TEST(AutoFence, NamespaceLists) {
  auto snap = snapshot_of(kWorld);
  auto white = config_of("{autoFence: true, whiteNamespaceList: 'a,b'}");
  EXPECT_EQ(decide_service_fence(white, snap, "default", "withsel"), AutoFenceVerdict::kNothing);
  EXPECT_EQ(decide_service_fence(white, snap, "default", "gone"), AutoFenceVerdict::kDelete);
  EXPECT_EQ(decide_service_fence(white, snap, "default", "manual"), AutoFenceVerdict::kNothing);
  auto black = config_of("{autoFence: true, blackNamespaceList: 'default'}");
  EXPECT_EQ(decide_service_fence(black, snap, "default", "withsel"), AutoFenceVerdict::kNothing);
  auto sel = config_of("{autoFence: true, managementSelectors: [{matchLabels: {team: x}}]}");
  EXPECT_EQ(decide_service_fence(sel, snap, "default", "gone"), AutoFenceVerdict::kDelete);
  EXPECT_EQ(namespace_scope(sel, snap, "missing"), NamespaceScope::kUnknown);
  auto sel2 = config_of("{autoFence: true, managementSelectors: [{matchExpressions: [{key: slime.io/serviceFenced, operator: Exists}]}]}");
  EXPECT_EQ(decide_service_fence(sel2, snap, "default", "withsel"), AutoFenceVerdict::kWant);
}

TEST(WorkloadFences, OnePerLabelValue) {
  auto snap = snapshot_of(R"(
apiVersion: v1
kind: Pod
metadata: {name: a-1, namespace: default, labels: {lazyload.slime.io/workload: web}}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: a-2, namespace: default, labels: {lazyload.slime.io/workload: web}}
status: {podIP: 10.0.0.2}
---
apiVersion: v1
kind: Pod
metadata: {name: b-1, namespace: default, labels: {lazyload.slime.io/workload: api}}
---
apiVersion: v1
kind: Pod
metadata: {name: c-1, namespace: default}
status: {podIP: 10.0.0.3}
)");
  auto c = config_of("{autoFence: true, fenceLabelKeyAlias: lazyload.slime.io/workload}");
  auto groups = workload_groups(c, snap);
  ASSERT_EQ(groups.size(), 1u);  // b-1 has no IP yet
  EXPECT_EQ(workload_fence_name(c, "web"), "app-web.workload.identity");
  auto f = desired_workload_fence(c, nullptr, "default", "web");
  EXPECT_EQ(f.name(), "app-web.workload.identity");
  EXPECT_EQ(f.spec()["workloadSelector"]["labels"]["lazyload.slime.io/workload"], "web");
  EXPECT_TRUE(workload_label_value(c, snap, "default", "app-web.workload.identity"));
  EXPECT_FALSE(workload_label_value(c, snap, "default", "app-api.workload.identity"));
}

}  // namespace
}  // namespace slime::lazyload

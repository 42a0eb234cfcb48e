#include "slime/modules/lazyload/ingest.h"

#include "slime/modules/lazyload/fence.h"
#include "test_util.h"

namespace slime::lazyload {
namespace {
using testing::at;
using testing::config_of;
using testing::snapshot_of;

const char* kMesh = R"(
apiVersion: v1
kind: Service
metadata: {name: details, namespace: default}
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default}
---
apiVersion: v1
kind: Service
metadata: {name: old, namespace: default}
---
apiVersion: v1
kind: Endpoints
metadata: {name: productpage, namespace: default}
subsets: [{addresses: [{ip: 10.0.0.1}]}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: reviews, namespace: default}
subsets: [{notReadyAddresses: [{ip: 10.0.0.2}]}]
---
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: productpage, namespace: default}
spec: {enable: true}
status:
  metricStatus: {'{destination_service="old.default.svc.cluster.local"}': "7"}
)";

AccessEvent ev(std::string ip, std::string authority, std::string cluster = "inbound|80||", int64_t t = 0) {
  AccessEvent e;
  e.source_ip = std::move(ip);
  e.authority = std::move(authority);
  e.upstream_cluster = std::move(cluster);
  if (t) e.at = at(t);
  return e;
}

TEST(Normalise, ShortAndQualifiedNames) {
  auto snap = snapshot_of(kMesh);
  auto idx = SourceIndex::build(snap, config_of());
  using V = std::vector<std::string>;
  EXPECT_EQ(normalise_destination("details:9080", "default", idx, false), V{"details.default.svc.cluster.local"});
  EXPECT_EQ(normalise_destination("details:9080", "default", idx, true), (V{"details.default.svc.cluster.local", "details"}));
  EXPECT_EQ(normalise_destination("reviews.default:9080", "x", idx, false), V{"reviews.default.svc.cluster.local"});
  EXPECT_EQ(normalise_destination("nope.default", "x", idx, false), V{"nope.default"});
  EXPECT_EQ(normalise_destination("reviews.default.svc", "x", idx, false), V{"reviews.default.svc.cluster.local"});
  EXPECT_EQ(normalise_destination("www.example.com", "x", idx, false), V{"www.example.com"});
  EXPECT_TRUE(normalise_destination("10.0.0.5:8080", "x", idx, false).empty());
  EXPECT_TRUE(normalise_destination("[::1]:80", "x", idx, false).empty());
}

TEST(Ingest, A9RecordsIntoTheSourceFence) {
  auto snap = snapshot_of(kMesh);
  auto c = config_of();
  auto idx = SourceIndex::build(snap, c);
  std::vector<AccessEvent> events{ev("10.0.0.1:51234", "details:9080"), ev("10.0.0.1", "details:9080"),
                                  ev("10.0.0.1", "old.default.svc.cluster.local")};
  auto r = ingest(snap, c, idx, events, at(1700000000));
  ASSERT_EQ(r.statuses.size(), 1u);
  EXPECT_EQ(r.statuses[0].key.name, "productpage");
  const auto& ms = r.statuses[0].status["metricStatus"];
  EXPECT_EQ(ms["{destination_service=\"details.default.svc.cluster.local\"}"], "2");
  EXPECT_EQ(ms["{destination_service=\"old.default.svc.cluster.local\"}"], "7");  // first count kept
  EXPECT_EQ(r.stats.recorded, 3u);
}

// The same mesh with EndpointSlices instead of Endpoints records the same.
TEST(Ingest, SourcesFromEndpointSlices) {
  std::string mesh = kMesh;
  std::string slices = R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: productpage-x1, namespace: default, labels: {kubernetes.io/service-name: productpage}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.1]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-x1, namespace: default, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.2], conditions: {ready: false}}]
---
)";
  // The mesh's Services and fence, its Endpoints replaced by the slices (only mesh Services are learned).
  auto endpoints = mesh.find("apiVersion: v1\nkind: Endpoints");
  auto snap = snapshot_of(mesh.substr(0, endpoints) + slices + mesh.substr(mesh.find("apiVersion: microservice")));
  auto c = config_of();
  auto idx = SourceIndex::build(snap, c);
  EXPECT_TRUE(idx.has_endpoints("default", "reviews"));
  std::vector<AccessEvent> events{ev("10.0.0.1", "details:9080"), ev("10.0.0.2", "details")};
  auto r = ingest(snap, c, idx, events, at(1700000000));
  ASSERT_EQ(r.statuses.size(), 1u);
  EXPECT_EQ(r.statuses[0].key.name, "productpage");
  EXPECT_EQ(r.statuses[0].status["metricStatus"]["{destination_service=\"details.default.svc.cluster.local\"}"], "1");
  EXPECT_EQ(r.stats.skipped_no_fence, 1u);  // default/reviews has no fence
}

TEST(Ingest, A8SkipsOutboundAndMalformedClusters) {
  auto snap = snapshot_of(kMesh);
  auto c = config_of();
  auto idx = SourceIndex::build(snap, c);
  std::vector<AccessEvent> events{ev("10.0.0.1", "x", "outbound|9080||x"), ev("10.0.0.1", "x", "inbound|80|"),
                                  ev("10.9.9.9", "x"), ev("10.0.0.1", "10.1.1.1:80")};
  auto r = ingest(snap, c, idx, events, at(1700000000));
  EXPECT_TRUE(r.statuses.empty());
  EXPECT_EQ(r.stats.skipped_cluster, 2u);
  EXPECT_EQ(r.stats.skipped_no_source, 1u);
  EXPECT_EQ(r.stats.skipped_destination, 1u);
}

TEST(Ingest, UnchangedBatchWritesNothingAndMissingFenceIsCounted) {
  auto snap = snapshot_of(kMesh);
  auto c = config_of();
  auto idx = SourceIndex::build(snap, c);
  std::vector<AccessEvent> events{ev("10.0.0.1", "old.default.svc.cluster.local"), ev("10.0.0.2", "details")};
  auto r = ingest(snap, c, idx, events, at(1700000000));
  EXPECT_TRUE(r.statuses.empty());
  EXPECT_EQ(r.stats.skipped_no_fence, 1u);  // default/reviews has no fence
}

TEST(Ingest, TtlTracksLastSeenAndExpires) {
  auto snap = snapshot_of(kMesh);
  auto c = config_of("{dependencyTtl: 100s}");
  auto idx = SourceIndex::build(snap, c);
  std::vector<AccessEvent> events{ev("10.0.0.1", "details", "inbound|80||", 1000)};
  auto r = ingest(snap, c, idx, events, at(1000));
  ASSERT_EQ(r.statuses.size(), 1u);
  const auto& st = r.statuses[0].status;
  EXPECT_EQ(st["metricLastSeen"]["{destination_service=\"details.default.svc.cluster.local\"}"], "1000");
  EXPECT_EQ(st["metricLastSeen"]["{destination_service=\"old.default.svc.cluster.local\"}"], "1000");

  // Later, only details is seen again: old expires.
  store::MemoryStore later;
  for (auto& o : snap.all()) later.put(o);
  core::Object fence = *snap.get({{"microservice.slime.io", "ServiceFence"}, "default", "productpage"});
  fence.json()["status"] = st;
  later.put(fence);
  std::vector<AccessEvent> again{ev("10.0.0.1", "details", "inbound|80||", 1090)};
  r = ingest(later, c, idx, again, at(1150));
  ASSERT_EQ(r.statuses.size(), 1u);
  const auto& ms = r.statuses[0].status["metricStatus"];
  EXPECT_TRUE(ms.contains("{destination_service=\"details.default.svc.cluster.local\"}"));
  EXPECT_FALSE(ms.contains("{destination_service=\"old.default.svc.cluster.local\"}"));
}

TEST(Ingest, ExplicitSourceAndWorkloadFence) {
  auto snap = snapshot_of(std::string(kMesh) + R"(
---
apiVersion: v1
kind: Pod
metadata: {name: w, namespace: default, labels: {wl: web}}
status: {podIP: 10.0.0.9}
---
apiVersion: microservice.slime.io/v1alpha1
kind: ServiceFence
metadata: {name: app-web.workload.identity, namespace: default}
spec: {enable: true}
)");
  auto c = config_of("{autoFence: true, fenceLabelKeyAlias: wl}");
  auto idx = SourceIndex::build(snap, c);
  AccessEvent direct;
  direct.source = "default/productpage";
  direct.authority = "ratings";
  std::vector<AccessEvent> events{direct, ev("10.0.0.9", "ratings")};
  auto r = ingest(snap, c, idx, events, at(1));
  ASSERT_EQ(r.statuses.size(), 2u);
  EXPECT_EQ(r.statuses[0].key.name, "app-web.workload.identity");
  EXPECT_TRUE(r.statuses[0].status["metricStatus"].contains("{destination_service=\"ratings.default.svc.cluster.local\"}"));
}

// Issue #13: a caller that makes up Host headers must not grow its fence without bound.
TEST(Ingest, OnlyMeshServicesAndAliasesAreLearned) {
  auto snap = snapshot_of(kMesh);
  auto c = config_of(R"({domainAliases: [{pattern: '(?P<s>[^.]+)\.corp', templates: ['$s.default.svc.cluster.local']}]})");
  auto idx = SourceIndex::build(snap, c);
  std::vector<AccessEvent> events{ev("10.0.0.1", "details"), ev("10.0.0.1", "www.example.com"),
                                  ev("10.0.0.1", "made-up.default"), ev("10.0.0.1", "ratings.corp")};
  auto r = ingest(snap, c, idx, events, at(1));
  ASSERT_EQ(r.statuses.size(), 1u);
  const auto& ms = r.statuses[0].status["metricStatus"];
  EXPECT_TRUE(ms.contains("{destination_service=\"details.default.svc.cluster.local\"}")) << ms.dump();
  EXPECT_TRUE(ms.contains("{destination_service=\"ratings.corp\"}")) << ms.dump();
  EXPECT_EQ(ms.size(), 3u) << ms.dump();  // with the "old" entry already there
  EXPECT_EQ(r.stats.skipped_not_mesh, 2u);
  EXPECT_TRUE(learnable_host("details.default", snap, c));
  EXPECT_TRUE(learnable_host("details.default.svc", snap, c));
  EXPECT_FALSE(learnable_host("details.other.svc.cluster.local", snap, c));
  EXPECT_FALSE(learnable_host("a.b.c.d", snap, c));
}

TEST(Ingest, AFenceStopsAtMaxLearnedHosts) {
  auto snap = snapshot_of(kMesh);
  auto c = config_of("{maxLearnedHostsPerFence: 2}");
  auto idx = SourceIndex::build(snap, c);
  // The fence holds one entry ("old"): one more fits, the second is dropped at the cap.
  std::vector<AccessEvent> events{ev("10.0.0.1", "details"), ev("10.0.0.1", "ratings")};
  auto r = ingest(snap, c, idx, events, at(1));
  ASSERT_EQ(r.statuses.size(), 1u);
  EXPECT_EQ(r.statuses[0].status["metricStatus"].size(), 2u);
  EXPECT_EQ(r.stats.dropped_at_cap, 1u);
  ASSERT_EQ(r.capped_fences.size(), 1u);
  EXPECT_EQ(r.capped_fences[0].name, "productpage");
  // An entry already there is not a new host: seeing it again is no cap hit.
  std::vector<AccessEvent> again{ev("10.0.0.1", "old.default.svc.cluster.local")};
  EXPECT_TRUE(ingest(snap, c, idx, again, at(2)).capped_fences.empty());
}

TEST(Ingest, ResetEmptiesLearnedDependencies) {
  auto snap = snapshot_of(kMesh);
  auto updates = reset_learned(snap, "default", "");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_FALSE(updates[0].status.contains("metricStatus"));
}

}  // namespace
}  // namespace slime::lazyload

// Graph building from cached objects: edges by source, states and times from a fence's status, Sidecar
// coverage against the mesh, bounded views, the modules summary, and escaping in DOT/SVG.
#include <gtest/gtest.h>

#include "slime/graph/graph_formats.h"
#include "slime/graph/graph_view.h"
#include "slime/graph/mesh_graph.h"
#include "slime/graph/modules_summary.h"
#include "slime/store/memory_store.h"

namespace slime::graph {
namespace {

using core::Json;
using namespace std::chrono_literals;

constexpr int64_t kNow = 1700000000;

void service(store::MemoryStore& s, const std::string& ns, const std::string& name) {
  s.put(core::Object(Json{{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", name}, {"namespace", ns}}}}));
}

void put(store::MemoryStore& s, const char* yaml_like_json) { s.put(core::Object(Json::parse(yaml_like_json))); }

GraphOptions opts(std::optional<std::chrono::seconds> ttl = std::nullopt) {
  GraphOptions o;
  o.dependency_ttl = ttl;
  o.now = std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
  return o;
}

const Edge* find_edge(const MeshGraph& g, const std::string& from, const std::string& host) {
  for (const auto& e : g.edges)
    if (e.from == from && e.host == host) return &e;
  return nullptr;
}

const Workload* find_workload(const MeshGraph& g, const std::string& id) {
  for (const auto& w : g.workloads)
    if (w.id == id) return &w;
  return nullptr;
}

// default: productpage, details, reviews, ratings; tools: tester (workload fence only); istio-system: istiod.
store::MemoryStore bookinfo() {
  store::MemoryStore s;
  for (const char* n : {"productpage", "details", "reviews", "ratings"}) service(s, "default", n);
  service(s, "istio-system", "istiod");
  put(s, R"({"apiVersion":"microservice.slime.io/v1alpha1","kind":"ServiceFence",
    "metadata":{"name":"productpage","namespace":"default"},
    "spec":{"enable":true},
    "status":{
      "metricStatus":{"{destination_service=\"details.default.svc.cluster.local\"}":"3",
                      "{destination_service=\"reviews.default.svc.cluster.local\"}":"1"},
      "metricLastSeen":{"{destination_service=\"details.default.svc.cluster.local\"}":"1699999900"},
      "domains":{"details.default.svc.cluster.local":{"hosts":["details.default.svc.cluster.local"]},
                 "ratings.default.svc.cluster.local":{"hosts":["ratings.default.svc.cluster.local"],"status":"EXPIREWAIT"}}}})");
  put(s, R"({"apiVersion":"microservice.slime.io/v1alpha1","kind":"ServiceFence",
    "metadata":{"name":"tester","namespace":"tools"},
    "spec":{"enable":true,"host":{"productpage.default.svc.cluster.local":{"stable":{}},
                                  "www.example.com":{"deadline":{"expire":{"seconds":"1600000000"}}},
                                  "istio-system/*":{"stable":{}}}}})");
  put(s, R"({"apiVersion":"networking.istio.io/v1alpha3","kind":"Sidecar",
    "metadata":{"name":"productpage","namespace":"default"},
    "spec":{"egress":[{"hosts":["istio-system/*","*/details.default.svc.cluster.local","*/nowhere.example.org"]}]}})");
  return s;
}

TEST(MeshGraph, LearnedAndStaticEdgesCarryTheirSourceStateAndTimes) {
  auto s = bookinfo();
  auto g = build_graph(s, opts(3600s));
  ASSERT_TRUE(g.problems.empty());

  const Edge* details = find_edge(g, "default/productpage", "details.default.svc.cluster.local");
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(details->to, "default/details");
  EXPECT_EQ(details->via, Via::kAccessLog);
  EXPECT_EQ(details->state, "ACTIVE");
  EXPECT_EQ(details->last_seen, 1699999900);
  EXPECT_EQ(details->expires_at, 1699999900 + 3600);

  // Learned, not yet folded into domains; never seen with a timestamp.
  const Edge* reviews = find_edge(g, "default/productpage", "reviews.default.svc.cluster.local");
  ASSERT_NE(reviews, nullptr);
  EXPECT_EQ(reviews->state, "PENDING");
  EXPECT_FALSE(reviews->last_seen);
  EXPECT_FALSE(reviews->expires_at);

  // Left metricStatus, still in the Sidecar for one more computation.
  const Edge* ratings = find_edge(g, "default/productpage", "ratings.default.svc.cluster.local");
  ASSERT_NE(ratings, nullptr);
  EXPECT_EQ(ratings->state, "EXPIREWAIT");

  const Edge* stable = find_edge(g, "tools/tester", "productpage.default.svc.cluster.local");
  ASSERT_NE(stable, nullptr);
  EXPECT_EQ(stable->via, Via::kStatic);
  EXPECT_TRUE(stable->stable);
  EXPECT_EQ(stable->to, "default/productpage");

  const Edge* expired = find_edge(g, "tools/tester", "www.example.com");
  ASSERT_NE(expired, nullptr);
  EXPECT_EQ(expired->expires_at, 1600000000);
  EXPECT_EQ(expired->state, "EXPIRE");  // its deadline passed before `now`
  EXPECT_EQ(expired->to, "www.example.com");

  const Edge* ns = find_edge(g, "tools/tester", "istio-system/*");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->to, "istio-system/*");
  EXPECT_EQ(g.edges.size(), 6u);
}

TEST(MeshGraph, NodesAreServicesWorkloadsNamespacesAndExternalHosts) {
  auto s = bookinfo();
  auto g = build_graph(s, opts());
  std::map<std::string, NodeKind> kinds;
  for (const auto& n : g.nodes) kinds[n.id] = n.kind;
  EXPECT_EQ(kinds.at("default/details"), NodeKind::kService);
  EXPECT_EQ(kinds.at("tools/tester"), NodeKind::kWorkload);  // a fence without a Service
  EXPECT_EQ(kinds.at("istio-system/*"), NodeKind::kNamespace);
  EXPECT_EQ(kinds.at("www.example.com"), NodeKind::kExternal);
  EXPECT_EQ(g.mesh_services, 5u);
  for (const auto& n : g.nodes)
    if (n.id == "default/productpage") {
      EXPECT_TRUE(n.fenced);
    }
}

TEST(MeshGraph, SidecarSizeAgainstTheMesh) {
  auto s = bookinfo();
  auto g = build_graph(s, opts());
  const Workload* pp = find_workload(g, "default/productpage");
  ASSERT_NE(pp, nullptr);
  EXPECT_TRUE(pp->has_sidecar);
  EXPECT_EQ(pp->sidecar_hosts, 3u);
  EXPECT_EQ(pp->services_received, 2u);  // istiod (istio-system/*) and details; nowhere.example.org is no Service
  EXPECT_DOUBLE_EQ(pp->excluded_share, 1.0 - 2.0 / 5.0);
  EXPECT_EQ(pp->dependencies, 3u);

  // Without a Sidecar Istio sends the whole mesh.
  const Workload* tester = find_workload(g, "tools/tester");
  ASSERT_NE(tester, nullptr);
  EXPECT_FALSE(tester->has_sidecar);
  EXPECT_EQ(tester->services_received, 5u);
  EXPECT_DOUBLE_EQ(tester->excluded_share, 0.0);
}

TEST(MeshGraph, ABadFenceFieldIsReportedAndTheRestBuilt) {
  auto s = bookinfo();
  put(s, R"({"apiVersion":"microservice.slime.io/v1alpha1","kind":"ServiceFence",
    "metadata":{"name":"broken","namespace":"default"},
    "spec":{"enable":true},
    "status":{"metricStatus":{"{destination_service=\"details.default.svc.cluster.local\"}":[7],
                              "{destination_service=\"ratings.default.svc.cluster.local\"}":"1"}}})");
  auto g = build_graph(s, opts());
  ASSERT_EQ(g.problems.size(), 1u);
  std::string p = g.problems[0].str();
  EXPECT_NE(p.find("ServiceFence default/broken"), std::string::npos) << p;
  EXPECT_NE(p.find("status.metricStatus"), std::string::npos) << p;
  EXPECT_NE(find_edge(g, "default/broken", "ratings.default.svc.cluster.local"), nullptr);
  EXPECT_NE(find_edge(g, "default/productpage", "details.default.svc.cluster.local"), nullptr);
}

TEST(GraphView, SmallMeshShowsEveryServiceAndEdge) {
  auto s = bookinfo();
  auto view = graph_view(build_graph(s, opts()), ViewOptions{});
  EXPECT_EQ(view["view"], "services");
  EXPECT_EQ(view["edges"].size(), 6u);
  EXPECT_EQ(view["nodes"].size(), view["totalNodes"].get<size_t>());
  EXPECT_FALSE(view["truncated"].get<bool>());
  // default and istio-system hold Services, tools only the tester's workload fence.
  ASSERT_EQ(view["namespaces"].size(), 3u);
  EXPECT_EQ(view["namespaces"][2], (Json{{"name", "tools"}, {"services", 0}}));
}

TEST(GraphView, NamespaceFilterKeepsItsEdgesAndTheirOtherEnds) {
  auto s = bookinfo();
  ViewOptions vo;
  vo.ns = "tools";
  auto view = graph_view(build_graph(s, opts()), vo);
  EXPECT_EQ(view["view"], "namespace");
  EXPECT_EQ(view["edges"].size(), 3u);  // the tester's three static dependencies
  std::set<std::string> ids;
  for (const auto& n : view["nodes"]) ids.insert(n["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"tools/tester", "default/productpage", "www.example.com", "istio-system/*"}));
  ASSERT_EQ(view["workloads"].size(), 1u);
  EXPECT_EQ(view["workloads"][0]["id"], "tools/tester");
}

TEST(GraphView, ALargeMeshIsAggregatedByNamespaceAndBounded) {
  store::MemoryStore s;
  // 5,000 Services in 50 namespaces; each namespace's first Service learned a call to the next namespace.
  for (int ns = 0; ns < 50; ++ns) {
    for (int i = 0; i < 100; ++i) service(s, "ns" + std::to_string(ns), "svc" + std::to_string(i));
    Json fence = {{"apiVersion", "microservice.slime.io/v1alpha1"}, {"kind", "ServiceFence"},
                  {"metadata", {{"name", "svc0"}, {"namespace", "ns" + std::to_string(ns)}}},
                  {"status", {{"metricStatus", {{"{destination_service=\"svc1.ns" + std::to_string((ns + 1) % 50) + ".svc.cluster.local\"}", "1"}}}}}};
    s.put(core::Object(fence));
  }
  auto g = build_graph(s, opts());
  EXPECT_EQ(g.mesh_services, 5000u);
  auto view = graph_view(g, ViewOptions{});
  EXPECT_EQ(view["view"], "namespaces");
  EXPECT_EQ(view["nodes"].size(), 50u);
  EXPECT_EQ(view["edges"].size(), 50u);
  EXPECT_EQ(view["edges"][0]["count"], 1);
  EXPECT_EQ(view["edges"][0]["byVia"]["accesslog"], 1);
  ASSERT_EQ(view["workloads"].size(), 50u);  // one row per namespace
  EXPECT_EQ(view["workloads"][0]["workloads"], 1);
  EXPECT_EQ(view["workloads"][0]["dependencies"], 1);
  EXPECT_LT(view.dump().size(), 64u * 1024);

  ViewOptions small;
  small.max_nodes = 10;
  small.max_edges = 5;
  auto capped = graph_view(g, small);
  EXPECT_EQ(capped["nodes"].size(), 10u);
  EXPECT_EQ(capped["edges"].size(), 5u);
  EXPECT_TRUE(capped["truncated"].get<bool>());

  ViewOptions one;
  one.ns = "ns7";
  auto ns7 = graph_view(g, one);
  EXPECT_EQ(ns7["view"], "namespace");
  EXPECT_EQ(ns7["edges"].size(), 2u);          // ns6 -> ns7 and ns7 -> ns8
  EXPECT_EQ(ns7["nodes"].size(), 100u + 2u);   // its Services and the two other ends
}

TEST(ModulesSummary, LimitersPluginManagersAndCanaries) {
  store::MemoryStore s;
  put(s, R"({"apiVersion":"microservice.slime.io/v1alpha2","kind":"SmartLimiter","metadata":{"name":"reviews","namespace":"default"},
    "spec":{"sets":{"_base":{"descriptor":[{"action":{"fill_interval":{"seconds":60},"quota":"300/{{._base.pod}}","strategy":"average"},
                                            "condition":"{{._base.pod}} > 2"}]},
                    "v2":{"descriptor":[{"action":{"fill_interval":{"seconds":1},"quota":"5"},"condition":"{{.v2.pod}} > 9"}]}}},
    "status":{"ratelimitStatus":{"_base":{"descriptor":[{"action":{"fillInterval":{"seconds":60},"quota":"100"}}]}},
              "metricStatus":{"_base.pod":"3"}}})");
  put(s, R"({"apiVersion":"microservice.slime.io/v1alpha1","kind":"PluginManager","metadata":{"name":"pm","namespace":"default"},
    "spec":{"workloadLabels":{"app":"reviews"},"plugin":[{"name":"envoy.filters.http.cors","enable":true}]}})");
  put(s, R"({"apiVersion":"microservice.slime.io/v1alpha1","kind":"CanaryRelease","metadata":{"name":"reviews","namespace":"default"},
    "spec":{"host":"reviews"},"status":{"phase":"Progressing","weight":20,"step":2,
    "conditions":[{"type":"RoutesConflict","status":"False","reason":"RoutesOwned"}]}})");
  auto m = modules_summary(s);
  ASSERT_EQ(m["smartLimiters"].size(), 1u);
  const auto& set = m["smartLimiters"][0]["sets"][0];
  const auto& d = set["descriptors"][0];
  EXPECT_EQ(d["quotaExpression"], "300/{{._base.pod}}");
  EXPECT_EQ(set["effective"][0]["quota"], "100");
  EXPECT_EQ(set["effective"][0]["fillIntervalSeconds"], 60);
  EXPECT_EQ(m["smartLimiters"][0]["sets"][1]["effective"].size(), 0u);  // its condition does not hold
  EXPECT_EQ(d["condition"], "{{._base.pod}} > 2");
  EXPECT_EQ(m["smartLimiters"][0]["metrics"]["_base.pod"], "3");
  EXPECT_EQ(m["pluginManagers"][0]["plugins"][0]["name"], "envoy.filters.http.cors");
  EXPECT_EQ(m["canaryReleases"][0]["canaryWeight"], 20);
  EXPECT_EQ(m["canaryReleases"][0]["stableWeight"], 80);
  EXPECT_EQ(m["canaryReleases"][0]["conditions"][0]["reason"], "RoutesOwned");
  EXPECT_EQ(modules_summary(s, "other")["smartLimiters"].size(), 0u);
}

TEST(GraphFormats, HostileNamesAreEscapedInDotSvgAndJson) {
  const std::string hostile = "x<script>alert(\"1\")</script>'&";
  store::MemoryStore s;
  service(s, hostile, "svc");
  Json fence = {{"apiVersion", "microservice.slime.io/v1alpha1"}, {"kind", "ServiceFence"},
                {"metadata", {{"name", "a\"b"}, {"namespace", hostile}}},
                {"spec", {{"host", {{"<img src=x onerror=alert(1)>", {{"stable", Json::object()}}}}}}}};
  s.put(core::Object(fence));
  auto view = graph_view(build_graph(s, opts()), ViewOptions{});
  // JSON round-trips the names exactly (the page shows them with textContent).
  auto back = Json::parse(view.dump());
  EXPECT_EQ(back["namespaces"][0]["name"], hostile);

  std::string svg = to_svg(view);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("<img"), std::string::npos);
  EXPECT_NE(svg.find("x&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt;&#39;&amp;"), std::string::npos);

  std::string dot = to_dot(view);
  EXPECT_NE(dot.find("\"a\\\"b\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("alert(\\\"1\\\")"), std::string::npos) << dot;
}

}  // namespace
}  // namespace slime::graph

// The per-request destination rules (spec §6.6) and the allow-list that keeps the proxy from being an
// open proxy.
#include <gtest/gtest.h>

#include "mesh_yaml.h"
#include "slime/proxy/routing/destination.h"

namespace slime::proxy {
namespace {

MeshIndex mesh() {
  return mesh_from_yaml(R"(
apiVersion: v1
kind: Service
metadata: {name: details, namespace: default}
spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 9080}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: details, namespace: default}
subsets: [{addresses: [{ip: 10.244.0.5}], ports: [{name: http, port: 9080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: reviews, namespace: shop}
subsets:
- addresses: [{ip: 10.244.1.1}, {ip: 10.244.1.2}]
  notReadyAddresses: [{ip: 10.244.1.3}]
  ports: [{name: http, port: 8080}]
)");
}

// --allow-any-destination: the only way to forward without a service list.
DestinationRules open_relay() {
  DestinationRules r;
  r.allow_any_destination = true;
  return r;
}

RequestFacts facts(std::string_view host, uint16_t port = 80) {
  RequestFacts f;
  f.host = host;
  f.target = "/";
  f.method = "GET";
  f.listen_port = port;
  return f;
}

TEST(Destination, HostWithPortIsDialledAsIsWithoutMesh) {
  auto r = resolve_destination(facts("example.com:8080"), open_relay(), nullptr);
  ASSERT_TRUE(r.dest);
  EXPECT_EQ(r.dest->dial_host, "example.com");
  EXPECT_EQ(r.dest->dial_port, 8080);
  EXPECT_EQ(r.dest->host_header, "example.com:8080");
}

TEST(Destination, HostWithoutPortDialsPort80UnlessWormholePriority) {
  auto r = resolve_destination(facts("example.com", 9080), open_relay(), nullptr);
  ASSERT_TRUE(r.dest);
  EXPECT_EQ(r.dest->dial_port, 80);
  DestinationRules rules = open_relay();
  rules.wormhole_port_priority = true;
  r = resolve_destination(facts("example.com:1234", 9080), rules, nullptr);
  ASSERT_TRUE(r.dest);
  EXPECT_EQ(r.dest->dial_port, 9080);
}

TEST(Destination, OrigDestWinsAndDefaultsToListenPort) {
  auto f = facts("details:9080", 9080);
  f.orig_dest = "10.96.0.10:9080";
  f.has_orig_dest = true;
  auto r = resolve_destination(f, open_relay(), nullptr);
  ASSERT_TRUE(r.dest);
  EXPECT_EQ(r.dest->dial_host, "10.96.0.10");
  EXPECT_EQ(r.dest->dial_port, 9080);
  f.orig_dest = "10.96.0.10";
  r = resolve_destination(f, open_relay(), nullptr);
  ASSERT_TRUE(r.dest);
  EXPECT_EQ(r.dest->dial_port, 9080);
  f.orig_dest = "10.96.0.10:http";
  r = resolve_destination(f, open_relay(), nullptr);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 400);
  EXPECT_NE(r.refusal.reason.find("Slime-Orig-Dest"), std::string::npos);
}

TEST(Destination, ShortNameExpandedWithSourceNamespaceWhenTheServiceExists) {
  auto m = mesh();
  auto f = facts("details:9080", 9080);
  f.source_ns = "default";
  f.has_source_ns = true;
  auto r = resolve_destination(f, {}, &m);
  ASSERT_TRUE(r.dest);
  EXPECT_EQ(r.dest->host_header, "details.default:9080");
  EXPECT_EQ(r.dest->dial_host, "10.96.0.10");  // the Service's cluster IP, as DNS would answer
  EXPECT_EQ(r.dest->dial_port, 9080);
  // Unknown in that namespace: not rewritten, and then not a mesh destination.
  f.source_ns = "other";
  r = resolve_destination(f, {}, &m);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 403);
  // Without a service list the rewrite is unconditional (the original with the Service cache disabled).
  r = resolve_destination(f, open_relay(), nullptr);
  ASSERT_TRUE(r.dest);
  EXPECT_EQ(r.dest->host_header, "details.other:9080");
}

TEST(Destination, HeadlessServiceDialsItsEndpointsByPortName) {
  auto m = mesh();
  auto r0 = resolve_destination(facts("reviews.shop.svc.cluster.local"), {}, &m, 0);
  auto r1 = resolve_destination(facts("REVIEWS.shop.svc"), {}, &m, 1);
  ASSERT_TRUE(r0.dest);
  ASSERT_TRUE(r1.dest);
  EXPECT_EQ(r0.dest->dial_host, "10.244.1.1");
  EXPECT_EQ(r1.dest->dial_host, "10.244.1.2");
  EXPECT_EQ(r0.dest->dial_port, 8080);  // Service port 80 "http" -> endpoint port "http" 8080
}

// The same headless Service on a cluster with EndpointSlices (its stale Endpoints are not read).
TEST(Destination, HeadlessServiceDialsItsEndpointSliceAddresses) {
  store::MemoryStore mem;
  auto docs = core::parse_yaml_documents(R"(
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: reviews, namespace: shop}
subsets: [{addresses: [{ip: 10.9.9.9}], ports: [{name: http, port: 1}]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: reviews-a1, namespace: shop, labels: {kubernetes.io/service-name: reviews}}
addressType: IPv4
endpoints: [{addresses: [10.244.1.1]}, {addresses: [10.244.1.3], conditions: {ready: false}}]
ports: [{name: http, port: 8080}]
)");
  ASSERT_TRUE(docs.errors.empty());
  for (auto& d : docs.documents) mem.put(core::Object(d.json));
  auto m = MeshIndex::build(mem);
  auto r = resolve_destination(facts("reviews.shop.svc.cluster.local"), {}, &m, 0);
  ASSERT_TRUE(r.dest);
  EXPECT_EQ(r.dest->dial_host, "10.244.1.1");  // ready first
  EXPECT_EQ(r.dest->dial_port, 8080);
  EXPECT_TRUE(m.known_ip("10.244.1.3"));
  EXPECT_FALSE(m.known_ip("10.9.9.9"));
}

TEST(Destination, MeshRefusesUnknownNamesAndIps) {
  auto m = mesh();
  auto r = resolve_destination(facts("www.example.com"), {}, &m);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 403);
  auto f = facts("details:9080");
  f.orig_dest = "192.168.9.9:9080";
  f.has_orig_dest = true;
  r = resolve_destination(f, {}, &m);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 403);
  f.orig_dest = "10.244.0.5:9080";  // an endpoint IP is fine
  r = resolve_destination(f, {}, &m);
  ASSERT_TRUE(r.dest);
}

TEST(Destination, RefusesConnectAbsoluteFormToOtherHostsAndLoops) {
  auto f = facts("a.example:443");
  f.method = "CONNECT";
  f.target = "a.example:443";
  auto r = resolve_destination(f, open_relay(), nullptr);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 405);

  f = facts("details.default:9080");
  f.target = "http://evil.example/x";
  r = resolve_destination(f, open_relay(), nullptr);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 403);
  f.target = "http://details.default:9080/x?y=1";
  r = resolve_destination(f, open_relay(), nullptr);
  ASSERT_TRUE(r.dest);
  EXPECT_EQ(r.dest->origin_target, "/x?y=1");

  DestinationRules rules = open_relay();
  rules.own_ports = {15001};
  f = facts("127.0.0.1:15001");
  r = resolve_destination(f, rules, nullptr);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 508);
  f = facts("localhost:15001");
  r = resolve_destination(f, rules, nullptr);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 508);
}

TEST(Destination, RejectsBadHosts) {
  EXPECT_EQ(resolve_destination(facts(""), open_relay(), nullptr).refusal.status, 400);
  EXPECT_EQ(resolve_destination(facts("a:b"), open_relay(), nullptr).refusal.status, 400);
  EXPECT_EQ(resolve_destination(facts("a:70000"), open_relay(), nullptr).refusal.status, 400);
  EXPECT_EQ(resolve_destination(facts(":80"), open_relay(), nullptr).refusal.status, 400);
}

TEST(Destination, SplitHostPortHandlesIpv6) {
  auto hp = split_host_port("[::1]:8080");
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.port, "8080");
  hp = split_host_port("[::1]");
  EXPECT_EQ(hp.host, "::1");
  EXPECT_FALSE(hp.has_port);
}

}  // namespace
}  // namespace slime::proxy

namespace slime::proxy {
namespace {

// Found by fuzz_proxy_request: such values were copied into the upstream head.
TEST(Destination, MalformedHostOrSlimeHeadersAreBadRequests) {
  for (const char* host : {"[ :/2]:79", "a b", "x/y", "user@h", "h\x7f"}) {
    auto r = resolve_destination(facts(host), open_relay(), nullptr);
    EXPECT_FALSE(r.dest) << host;
    EXPECT_EQ(r.refusal.status, 400) << host;
  }
  RequestFacts f = facts("web");
  f.has_source_ns = true;
  f.source_ns = "au,mg";
  auto r = resolve_destination(f, open_relay(), nullptr);
  EXPECT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 400);
  f.source_ns = "default";
  EXPECT_TRUE(resolve_destination(f, open_relay(), nullptr).dest);
  EXPECT_TRUE(resolve_destination(facts("[::1]:8080"), open_relay(), nullptr).dest);
}

}  // namespace
}  // namespace slime::proxy

namespace slime::proxy {
namespace {

TEST(Destination, WithoutAServiceListEveryRequestIsRefused) {
  for (const char* host : {"example.com:8080", "10.0.0.1:22", "details.default:9080"}) {
    auto r = resolve_destination(facts(host), {}, nullptr);
    ASSERT_FALSE(r.dest) << host;
    EXPECT_EQ(r.refusal.status, 503) << host;
    EXPECT_NE(r.refusal.reason.find("--allow-any-destination"), std::string::npos);
  }
}

TEST(Destination, OrigDestAndHostPortCannotReachUndeclaredPorts) {
  auto m = mesh();
  auto f = facts("details.default:9080");
  f.orig_dest = "10.244.0.5:22";  // an endpoint IP, on a port its Service does not declare
  f.has_orig_dest = true;
  auto r = resolve_destination(f, {}, &m);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 403);
  f.orig_dest = "10.96.0.10:15000";
  EXPECT_EQ(resolve_destination(f, {}, &m).refusal.status, 403);
  EXPECT_EQ(resolve_destination(facts("details.default:15000"), {}, &m).refusal.status, 403);
  EXPECT_EQ(resolve_destination(facts("10.244.1.1:22"), {}, &m).refusal.status, 403);
  ASSERT_TRUE(resolve_destination(facts("10.244.1.1:8080"), {}, &m).dest);
}

TEST(Destination, ProxysOwnAddressIsNeverADestinationEvenAsAnEndpoint) {
  auto m = mesh_from_yaml(R"(
apiVersion: v1
kind: Service
metadata: {name: global-sidecar, namespace: mesh-operator}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: global-sidecar, namespace: mesh-operator}
subsets: [{addresses: [{ip: 10.244.9.9}], ports: [{name: http, port: 80}]}]
)");
  DestinationRules rules;
  rules.own_ports = {80};
  rules.own_ips = {"10.244.9.9"};
  auto r = resolve_destination(facts("global-sidecar.mesh-operator"), rules, &m);
  ASSERT_FALSE(r.dest);
  EXPECT_EQ(r.refusal.status, 508);
  auto f = facts("anything.default");
  f.orig_dest = "10.244.9.9:80";
  f.has_orig_dest = true;
  EXPECT_EQ(resolve_destination(f, rules, &m).refusal.status, 508);
}

TEST(Destination, KubernetesServiceIsRefused) {
  auto m = mesh_from_yaml(R"(
apiVersion: v1
kind: Service
metadata: {name: kubernetes, namespace: default}
spec: {clusterIP: 10.96.0.1, ports: [{name: https, port: 443}]}
)");
  EXPECT_EQ(resolve_destination(facts("kubernetes.default:443"), {}, &m).refusal.status, 403);
  auto f = facts("kubernetes:443");
  f.source_ns = "default";
  f.has_source_ns = true;
  EXPECT_EQ(resolve_destination(f, {}, &m).refusal.status, 403);
  EXPECT_EQ(resolve_destination(facts("10.96.0.1:443"), {}, &m).refusal.status, 403);
}

}  // namespace
}  // namespace slime::proxy

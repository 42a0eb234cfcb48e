// MeshIndex::resolve, the allow-list every forwarding path shares: mesh Services and their addresses,
// only on the ports the Service (or its endpoints) declare, never the API server.
#include <gtest/gtest.h>

#include "mesh_yaml.h"
#include "slime/proxy/routing/mesh_index.h"

namespace slime::proxy {
namespace {

using Kind = MeshRefusal::Kind;

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
subsets: [{addresses: [{ip: 10.244.0.5}], ports: [{name: http, port: 9081}]}]
---
apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: shop}
spec: {clusterIP: None, ports: [{name: http, port: 80}, {name: grpc, port: 90}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: reviews, namespace: shop}
subsets:
- addresses: [{ip: 10.244.1.1}, {ip: 10.244.1.2}]
  ports: [{name: http, port: 8080}, {name: grpc, port: 9090}]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: shop}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: kubernetes, namespace: default}
spec: {clusterIP: 10.96.0.1, ports: [{name: https, port: 443}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: kubernetes, namespace: default}
subsets: [{addresses: [{ip: 172.18.0.2}], ports: [{name: https, port: 6443}]}]
)");
}

Kind refusal(const MeshResolution& r) {
  EXPECT_FALSE(r.has_value());
  return r ? Kind::kNotInMesh : r.error().kind;
}

TEST(MeshIndexResolve, ClusterIpServiceOnlyOnItsPorts) {
  auto m = mesh();
  auto r = m.resolve("details.default.svc.cluster.local", 9080);
  ASSERT_TRUE(r) << r.error().reason;
  EXPECT_EQ(r->ip, "10.96.0.10");
  EXPECT_EQ(r->port, 9080);
  ASSERT_NE(r->service, nullptr);
  EXPECT_EQ(r->service->name, "details");
  EXPECT_EQ(refusal(m.resolve("details.default", 22)), Kind::kPortNotDeclared);
  EXPECT_TRUE(m.resolve("10.96.0.10", 9080));
  EXPECT_EQ(refusal(m.resolve("10.96.0.10", 6379)), Kind::kPortNotDeclared);
}

TEST(MeshIndexResolve, EndpointIpsOnlyOnTheirTargetPorts) {
  auto m = mesh();
  auto r = m.resolve("10.244.0.5", 9081);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->service->name, "details");
  // Not the pod's other ports (its sidecar's admin port, a debug port), nor the Service port.
  for (uint16_t port : {15000, 22, 9080}) {
    auto refused = m.resolve("10.244.0.5", port);
    EXPECT_EQ(refusal(refused), Kind::kPortNotDeclared) << port;
    if (!refused) {
      EXPECT_NE(refused.error().reason.find("9081"), std::string::npos) << refused.error().reason;
    }
  }
  EXPECT_EQ(refusal(m.resolve("192.168.1.1", 80)), Kind::kNotInMesh);
}

TEST(MeshIndexResolve, HeadlessServiceMapsServicePortsAndAcceptsTargetPorts) {
  auto m = mesh();
  auto http = m.resolve("reviews.shop", 80, 1);
  ASSERT_TRUE(http);
  EXPECT_EQ(http->ip, "10.244.1.2");
  EXPECT_EQ(http->port, 8080);
  auto grpc = m.resolve("reviews.shop", 90, 0);
  ASSERT_TRUE(grpc);
  EXPECT_EQ(grpc->port, 9090);
  auto target = m.resolve("reviews.shop.svc", 9090, 0);
  ASSERT_TRUE(target);
  EXPECT_EQ(target->port, 9090);
  EXPECT_EQ(refusal(m.resolve("reviews.shop", 8443)), Kind::kPortNotDeclared);
  EXPECT_EQ(refusal(m.resolve("empty.shop", 80)), Kind::kNoEndpoints);
}

TEST(MeshIndexResolve, TheApiServerIsNeverADestination) {
  auto m = mesh();
  EXPECT_EQ(refusal(m.resolve("kubernetes.default", 443)), Kind::kForbidden);
  EXPECT_EQ(refusal(m.resolve("KUBERNETES.default.svc.cluster.local.", 443)), Kind::kForbidden);
  EXPECT_EQ(refusal(m.resolve("10.96.0.1", 443)), Kind::kForbidden);
  EXPECT_EQ(refusal(m.resolve("172.18.0.2", 6443)), Kind::kForbidden);
  EXPECT_EQ(m.find("default", "kubernetes"), nullptr);
}

TEST(MeshIndexResolve, UnknownNamesAreNotInTheMesh) {
  auto m = mesh();
  EXPECT_EQ(refusal(m.resolve("www.example.com", 80)), Kind::kNotInMesh);
  EXPECT_EQ(refusal(m.resolve("details", 9080)), Kind::kNotInMesh);  // short names are expanded before
}

}  // namespace
}  // namespace slime::proxy

// The TCP listeners' allow-list: which Service port a (destination IP, port) stands for.
#include <gtest/gtest.h>

#include "slime/core/yaml.h"
#include "slime/proxy/routing/tcp_routes.h"
#include "slime/store/memory_store.h"

namespace slime::proxy {
namespace {

TcpRoutes routes() {
  store::MemoryStore mem;
  auto docs = core::parse_yaml_documents(R"(
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: db}
spec:
  clusterIP: 10.96.3.7
  ports: [{name: sql, port: 5432}, {name: dns, port: 53, protocol: UDP}, {name: metrics, port: 9187, protocol: TCP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: postgres, namespace: db}
subsets:
- addresses: [{ip: 10.244.0.5}]
  notReadyAddresses: [{ip: 10.244.0.6}]
  ports: [{name: sql, port: 15432}, {name: dns, port: 53, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: kafka, namespace: mq}
spec: {clusterIP: None, ports: [{port: 9092}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: kafka, namespace: mq}
subsets: [{addresses: [{ip: 10.244.1.1}], ports: [{port: 19092}]}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: orphan, namespace: mq}
subsets: [{addresses: [{ip: 10.244.9.9}], ports: [{port: 1}]}]
---
apiVersion: v1
kind: Service
metadata: {name: b-alias, namespace: db}
spec: {clusterIP: 10.96.3.8, ports: [{name: sql, port: 5432}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: b-alias, namespace: db}
subsets: [{addresses: [{ip: 10.244.0.5}], ports: [{name: sql, port: 15432}]}]
)");
  EXPECT_TRUE(docs.errors.empty());
  for (auto& d : docs.documents) mem.put(core::Object(d.json));
  return TcpRoutes::build(mem);
}

TEST(TcpRoutes, ClusterIpOnDeclaredTcpPorts) {
  auto r = routes();
  const auto* route = r.find("10.96.3.7", 5432);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->authority(), "postgres.db.svc.cluster.local:5432");
  EXPECT_FALSE(route->endpoint);
  ASSERT_NE(r.find("10.96.3.7", 9187), nullptr);
  EXPECT_EQ(r.find("10.96.3.7", 53), nullptr) << "UDP ports are not relayed";
  EXPECT_EQ(r.find("10.96.3.7", 15432), nullptr) << "a cluster IP only on the Service's ports";
  EXPECT_EQ(r.find("10.96.3.9", 5432), nullptr);
}

TEST(TcpRoutes, EndpointAddressesMapToTheServicePortByName) {
  auto r = routes();
  const auto* route = r.find("10.244.0.6", 15432);  // not ready addresses count too
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->authority(), "postgres.db.svc.cluster.local:5432");
  EXPECT_TRUE(route->endpoint);
  EXPECT_EQ(r.find("10.244.0.5", 5432), nullptr) << "an endpoint only on its endpoint ports";
  // Headless, unnamed single port.
  route = r.find("10.244.1.1", 19092);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->authority(), "kafka.mq.svc.cluster.local:9092");
  EXPECT_EQ(r.find("10.244.9.9", 1), nullptr) << "Endpoints without a Service";
}

TEST(TcpRoutes, AnAddressInTwoServicesGoesToTheFirstByName) {
  auto r = routes();
  const auto* route = r.find("10.244.0.5", 15432);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->name, "b-alias");
}

}  // namespace
}  // namespace slime::proxy

#include <gtest/gtest.h>

#include "slime/core/service_endpoints.h"
#include "slime/core/yaml.h"
#include "slime/store/memory_store.h"

namespace slime::core {
namespace {

store::MemoryStore store_of(const char* yaml) {
  store::MemoryStore s;
  auto parsed = parse_yaml_documents(yaml, "test");
  for (auto& d : parsed.documents) s.put(*Object::from_json(d.json));
  return s;
}

const char* kBoth = R"(
apiVersion: v1
kind: Endpoints
metadata: {name: details, namespace: default}
subsets: [{addresses: [{ip: 10.9.9.9}]}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: legacy, namespace: default}
subsets:
- addresses: [{ip: 10.2.0.1, targetRef: {kind: Pod, name: legacy-a}}]
  notReadyAddresses: [{ip: 10.2.0.2}]
  ports: [{name: http, port: 80}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: details-1, namespace: default, labels: {kubernetes.io/service-name: details}}
addressType: IPv4
endpoints:
- {addresses: [10.1.0.3], conditions: {ready: false}}
- {addresses: [10.1.0.1], targetRef: {kind: Pod, name: details-a, namespace: default}}
ports: [{name: http, port: 9080}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: details-fqdn, namespace: default, labels: {kubernetes.io/service-name: details}}
addressType: FQDN
endpoints: [{addresses: [details.example.com]}]
)";

TEST(ServiceEndpoints, SlicesWinOverEndpointsAndReadyComesFirst) {
  auto s = store_of(kBoth);
  auto eps = service_endpoints(s, "default", "details");
  ASSERT_TRUE(eps);
  ASSERT_EQ(eps->size(), 2u);  // 10.9.9.9 from the Endpoints and the FQDN slice are not read
  EXPECT_EQ((*eps)[0].ip, "10.1.0.1");
  EXPECT_TRUE((*eps)[0].ready);  // no ready condition: ready
  EXPECT_EQ((*eps)[0].pod_name, "details-a");
  EXPECT_EQ((*(*eps)[0].ports)[0]["port"], 9080);
  EXPECT_EQ((*eps)[1].ip, "10.1.0.3");
  EXPECT_FALSE((*eps)[1].ready);
}

TEST(ServiceEndpoints, EndpointsWhenThereAreNoSlices) {
  auto s = store_of(kBoth);
  auto eps = service_endpoints(s, "default", "legacy");
  ASSERT_TRUE(eps);
  ASSERT_EQ(eps->size(), 2u);
  EXPECT_EQ((*eps)[0].pod_ns, "default");  // targetRef without a namespace: the Endpoints'
  EXPECT_EQ((*eps)[0].pod_name, "legacy-a");
  EXPECT_FALSE((*eps)[1].ready);
  EXPECT_FALSE(service_endpoints(s, "default", "nothing"));
}

TEST(ServiceEndpoints, ForEachVisitsEveryServiceOnceInOrder) {
  auto s = store_of(kBoth);
  std::vector<std::string> seen;
  for_each_service_endpoints(s, [&](const std::string& ns, const std::string& name, const std::vector<EndpointAddress>& a) {
    seen.push_back(ns + "/" + name + ":" + std::to_string(a.size()));
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"default/details:2", "default/legacy:2"}));
}

}  // namespace
}  // namespace slime::core

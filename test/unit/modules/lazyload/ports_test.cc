#include "slime/modules/lazyload/ports.h"

#include "test_util.h"

namespace slime::lazyload {
namespace {
using testing::config_of;
using testing::snapshot_of;

TEST(Ports, A10HttpDetection) {
  auto p = [](const char* yaml) { return *core::parse_yaml(yaml); };
  EXPECT_EQ(http_service_port(p("{name: http-web, protocol: TCP, port: 8080}"), false), 8080);
  EXPECT_EQ(http_service_port(p("{name: HTTP-web, protocol: TCP, port: 8080}"), false), 0);
  EXPECT_EQ(http_service_port(p("{name: grpc, protocol: TCP, port: 8080}"), false), 0);
  EXPECT_EQ(http_service_port(p("{name: grpc-web-x, protocol: TCP, port: 8080}"), true), 8080);
  EXPECT_EQ(http_service_port(p("{name: http, protocol: UDP, port: 53}"), false), 0);
  EXPECT_EQ(http_service_entry_port(p("{name: x, protocol: http, number: 80}"), false), 80);
  EXPECT_EQ(http_service_entry_port(p("{name: x, protocol: GRPC, number: 81}"), false), 0);
  EXPECT_EQ(http_service_entry_port(p("{name: x, protocol: GRPC-Web, number: 81}"), true), 81);
}

TEST(Ports, A11FirstRunOrderAndPersistence) {
  auto c = config_of(R"({autoPort: true, wormholePort: ["9080"]})");
  std::vector<core::Error> problems;
  auto empty = snapshot_of("");
  auto list = wormhole_ports(c, empty);
  EXPECT_EQ(list, (std::vector<std::string>{"9080"}));
  EXPECT_EQ(gs_service_ports(list, 80, problems), (std::vector<int64_t>{9080, 80}));
  // The published Service is read back: the set survives a restart, and does not churn.
  auto after = snapshot_of(R"(
apiVersion: v1
kind: Service
metadata: {name: global-sidecar, namespace: mesh-operator}
spec: {ports: [{name: http-9080, port: 9080}, {name: http-8000, port: 8000}, {name: http-80, port: 80}]}
)");
  EXPECT_EQ(wormhole_ports(c, after), (std::vector<std::string>{"8000", "9080"}));
  auto cleanup = config_of(R"({autoPort: true, cleanupWormholePort: true, wormholePort: ["9080"]})");
  EXPECT_EQ(wormhole_ports(cleanup, after), (std::vector<std::string>{"9080"}));
}

TEST(Ports, SortedAsStringsAndInvalidReported) {
  auto c = config_of(R"({autoPort: true, wormholePort: ["9080", "10000"]})");
  auto empty = snapshot_of("");
  EXPECT_EQ(wormhole_ports(c, empty), (std::vector<std::string>{"10000", "9080"}));
  std::vector<core::Error> problems;
  EXPECT_EQ(gs_service_ports({"x", "80"}, 80, problems), (std::vector<int64_t>{80}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].field, "wormholePort[0]");
}

}  // namespace
}  // namespace slime::lazyload

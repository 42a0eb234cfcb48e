// Reading the wormhole ports out of the global-sidecar ConfigMap lazyload renders (spec §6.2).
#include <gtest/gtest.h>

#include "slime/core/yaml.h"
#include "slime/proxy/wormhole_ports.h"

namespace slime::proxy {
namespace {

core::Object config_map(const std::string& yaml) {
  auto j = core::parse_yaml(yaml);
  EXPECT_TRUE(j) << j.error().str();
  return core::Object(*j);
}

TEST(WormholePorts, ReadsTheListLazyloadWrites) {
  // The exact text lazyload's gs_config_map renders.
  auto cm = config_map("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: global-sidecar, namespace: mesh-operator}\n"
                       "data: {cfg: \"wormholePorts:\\n- 9080\\n- 80\\n- 9080\"}\n");
  auto ports = parse_wormhole_ports(cm);
  ASSERT_TRUE(ports) << ports.error().str();
  EXPECT_EQ(*ports, (std::vector<uint16_t>{80, 9080}));
}

TEST(WormholePorts, QuotedNumbersAndEmptyForms) {
  auto quoted = parse_wormhole_ports(config_map("data: {cfg: \"wormholePorts: ['9080', 8080]\"}"));
  ASSERT_TRUE(quoted);
  EXPECT_EQ(*quoted, (std::vector<uint16_t>{8080, 9080}));
  for (const char* empty : {"metadata: {name: x}", "data: {}", "data: {cfg: ''}", "data: {cfg: 'wormholePorts: []'}",
                            "data: {cfg: 'other: 1'}"}) {
    auto r = parse_wormhole_ports(config_map(empty));
    ASSERT_TRUE(r) << empty;
    EXPECT_TRUE(r->empty()) << empty;
  }
}

TEST(WormholePorts, BadValuesNameTheField) {
  auto big = parse_wormhole_ports(config_map("data: {cfg: 'wormholePorts: [80, 70000]'}"));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().field, "data.cfg.wormholePorts[1]");
  auto word = parse_wormhole_ports(config_map("data: {cfg: 'wormholePorts: [http]'}"));
  ASSERT_FALSE(word);
  EXPECT_EQ(word.error().field, "data.cfg.wormholePorts[0]");
  auto scalar = parse_wormhole_ports(config_map("data: {cfg: 'wormholePorts: 9080'}"));
  ASSERT_FALSE(scalar);
  EXPECT_EQ(scalar.error().field, "data.cfg.wormholePorts");
  auto broken = parse_wormhole_ports(config_map("data: {cfg: 'wormholePorts: [80'}"));
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().field, "data.cfg");
}

TEST(WormholePorts, ConfigMapReference) {
  auto full = parse_config_map_ref("gs-ns/my-gs", "mesh-operator");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->ns, "gs-ns");
  EXPECT_EQ(full->name, "my-gs");
  EXPECT_EQ(full->gk.kind, "ConfigMap");
  auto bare = parse_config_map_ref("global-sidecar", "mesh-operator");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->ns, "mesh-operator");
  EXPECT_FALSE(parse_config_map_ref("", "mesh-operator"));
  EXPECT_FALSE(parse_config_map_ref("a/b/c", "mesh-operator"));
  EXPECT_FALSE(parse_config_map_ref("/name", "mesh-operator"));
}

}  // namespace
}  // namespace slime::proxy

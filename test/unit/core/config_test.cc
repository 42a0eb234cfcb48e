#include <gtest/gtest.h>

#include "slime/core/config.h"
#include "slime/core/fields.h"
#include "slime/core/yaml.h"

namespace slime::core {
namespace {

Json yaml(const char* text) {
  auto j = parse_yaml(text);
  EXPECT_TRUE(j) << j.error().str();
  return j ? *j : Json();
}

TEST(Config, OneModuleEntryWithDefaults) {
  auto cfg = parse_slime_config(yaml(R"(
name: limiter
kind: limiter
enable: true
general:
  disableGlobalRateLimit: true
)"));
  ASSERT_TRUE(cfg) << cfg.error().str();
  ASSERT_EQ(cfg->modules.size(), 1u);
  const auto& m = cfg->modules[0];
  EXPECT_EQ(m.kind, "limiter");
  EXPECT_EQ(m.general["disableGlobalRateLimit"], true);
  EXPECT_EQ(m.global.service, "app");
  EXPECT_EQ(m.global.istio_namespace, "istio-system");
  EXPECT_EQ(m.global.slime_namespace, "mesh-operator");
  EXPECT_EQ(m.global.misc_value("aux-addr"), ":8081");
  EXPECT_EQ(m.global.misc_value("enableLeaderElection"), "off");
  EXPECT_EQ(m.global.log.log_level, "info");
  EXPECT_TRUE(cfg->warnings.empty());
}

TEST(Config, AcceptsCamelAndSnakeSpellingsAndWarnsOnUnknownKeys) {
  auto cfg = parse_slime_config(yaml(R"(
name: lazyload
enable: true
global:
  istio_namespace: istio-x
  slimeNamespace: slime-x
  istioRev: canary
  misc:
    enableLeaderElection: "on"
    logSourcePort: ":9999"
  log:
    log_level: debug
  servcie: typo
)"));
  ASSERT_TRUE(cfg) << cfg.error().str();
  const auto& m = cfg->modules[0];
  EXPECT_EQ(m.effective_kind(), "lazyload");  // kind falls back to name
  EXPECT_EQ(m.global.istio_namespace, "istio-x");
  EXPECT_EQ(m.global.slime_namespace, "slime-x");
  EXPECT_EQ(m.global.istio_rev, "canary");
  EXPECT_EQ(m.global.misc_value("enableLeaderElection"), "on");
  EXPECT_EQ(m.global.misc_value("logSourcePort"), ":9999");
  EXPECT_EQ(m.global.misc_value("metrics-addr"), ":8080");  // other defaults kept
  EXPECT_EQ(m.global.log.log_level, "debug");
  ASSERT_EQ(cfg->warnings.size(), 1u);
  EXPECT_EQ(cfg->warnings[0].field, "global.servcie");
}

TEST(Config, DisabledModulesDoNotRun) {
  auto cfg = parse_slime_config(yaml(R"(
module:
  - name: plugin
    kind: plugin
    enable: true
  - name: limiter
    kind: limiter
    enable: false
)"));
  ASSERT_TRUE(cfg) << cfg.error().str();
  ASSERT_EQ(cfg->modules.size(), 1u);
  EXPECT_EQ(cfg->modules[0].kind, "plugin");
}

TEST(Config, SlimeBootBundleExpandsItemsWithMergedGlobals) {
  auto cfg = parse_slime_config(yaml(R"(
apiVersion: config.netease.com/v1alpha1
kind: SlimeBoot
metadata:
  name: bundle
  namespace: mesh-operator
spec:
  image:
    repository: docker.io/slimeio/slime-bundle-example-all
    tag: v0.9.0
  module:
    - name: bundle
      enable: true
      bundle:
        modules:
          - name: limiter
            kind: limiter
          - name: plugin
            kind: plugin
      global:
        istioNamespace: istio-b
        configSources:
          - address: ss://
    - name: limiter
      kind: limiter
      enable: true
      mode: BundleItem
      global:
        configSources:
          - address: ss://
          - address: k8s://
    - name: plugin
      kind: plugin
      enable: true
      mode: BundleItem
      general:
        x: 1
)"), "boot.yaml");
  ASSERT_TRUE(cfg) << cfg.error().str();
  ASSERT_EQ(cfg->modules.size(), 2u);
  EXPECT_EQ(cfg->modules[0].kind, "limiter");
  EXPECT_EQ(cfg->modules[0].global.istio_namespace, "istio-b");
  // Lists are merged without repeating entries.
  EXPECT_EQ(cfg->modules[0].global.config_sources, (std::vector<std::string>{"ss://", "k8s://"}));
  EXPECT_EQ(cfg->modules[1].kind, "plugin");
  EXPECT_EQ(cfg->modules[1].general["x"], 1);
  EXPECT_EQ(cfg->modules[1].global.istio_namespace, "istio-b");
}

TEST(Config, ErrorsNameTheFileAndField) {
  auto missing = parse_slime_config(yaml(R"(
module:
  - name: bundle
    enable: true
    bundle:
      modules:
        - name: nothere
)"), "cfg.yaml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().file, "cfg.yaml");
  EXPECT_EQ(missing.error().field, "module[0].bundle.modules[0]");

  auto bad_type = parse_slime_config(yaml("name: x\nenable: maybe\n"));
  ASSERT_FALSE(bad_type);
  EXPECT_EQ(bad_type.error().field, "enable");

  auto bad_mode = parse_slime_config(yaml("name: x\nmode: Sometimes\n"));
  ASSERT_FALSE(bad_mode);
  EXPECT_EQ(bad_mode.error().field, "mode");
}

TEST(FieldReader, TypedGettersAndEnums) {
  Json j = Json::parse(R"({"a_b": "x", "n": "12", "e": "Group", "e2": 1, "f": 2.0, "bad": [1]})");
  FieldReader r(j, "spec");
  EXPECT_EQ(*r.string("aB"), "x");  // snake_case spelling accepted
  EXPECT_EQ(*r.integer("n"), 12);   // protojson int64 as string
  EXPECT_EQ(*r.enumeration("e", {"Value", "Group"}), 1);
  EXPECT_EQ(*r.enumeration("e2", {"Value", "Group"}), 1);
  EXPECT_EQ(*r.integer("f"), 2);
  auto bad = r.string("bad");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "spec.bad");
  EXPECT_TRUE(r.unknown_fields().empty());
  Json extra = Json::parse(R"({"known": 1, "stragety": "single"})");
  FieldReader r2(extra, "spec.sets._base");
  r2.get("known");
  auto unknown = r2.unknown_fields();
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].field, "spec.sets._base.stragety");
}

}  // namespace
}  // namespace slime::core

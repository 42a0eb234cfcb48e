// The module table: configured kinds this build lacks are reported as missing (never skipped quietly),
// and every instance gets the build's catalog.
#include <gtest/gtest.h>

#include "slime/core/config.h"
#include "slime/core/yaml.h"
#include "slime/modules/registry.h"

namespace slime::modules {
namespace {

core::SlimeConfig config_of(const std::string& yaml) {
  auto doc = core::parse_yaml(yaml, "config.yaml");
  EXPECT_TRUE(doc) << doc.error().str();
  auto cfg = core::parse_slime_config(*doc, "config.yaml");
  EXPECT_TRUE(cfg) << cfg.error().str();
  return *cfg;
}

TEST(Registry, AMissingModuleKindIsReportedAndTheOthersStillRun) {
  auto instances = instantiate(config_of(R"(
module:
- {name: limiter, kind: limiter, enable: true}
- {name: meshregistry, enable: true}
)"));
  ASSERT_TRUE(instances) << instances.error().str();
  ASSERT_EQ(instances->modules.size(), 1u);
  EXPECT_EQ(instances->modules[0]->kind(), "limiter");
  ASSERT_EQ(instances->missing.size(), 1u);
  std::string text = instances->missing[0].str();
  EXPECT_NE(text.find("module meshregistry"), std::string::npos) << text;
  EXPECT_NE(text.find("module kind 'meshregistry' is not part of this build"), std::string::npos) << text;
  EXPECT_NE(text.find("limiter"), std::string::npos) << "names what the build has: " << text;
  EXPECT_TRUE(instances->warnings.empty());
}

TEST(Registry, CatalogListsEveryKindWithWhatItReadsAndWrites) {
  const auto& cat = catalog();
  ASSERT_EQ(cat.size(), available_kinds().size());
  for (size_t i = 0; i < cat.size(); ++i) {
    EXPECT_EQ(cat[i].kind, available_kinds()[i]);
    // A policy's kinds come from its definition: unconfigured, it reads and writes nothing.
    if (cat[i].kind == "policy") continue;
    EXPECT_FALSE(cat[i].reads.empty()) << cat[i].kind;
    EXPECT_FALSE(cat[i].writes.empty()) << cat[i].kind;
  }
  auto plugin = std::find_if(cat.begin(), cat.end(), [](const auto& m) { return m.kind == "plugin"; });
  ASSERT_NE(plugin, cat.end());
  EXPECT_EQ(plugin->writes, (std::vector<core::GroupKind>{{"networking.istio.io", "EnvoyFilter"}}));
}

}  // namespace
}  // namespace slime::modules

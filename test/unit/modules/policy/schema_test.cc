// The JSON Schema in api/policy/ documents the definition format; the validator is hand-written. This
// keeps the two in step: same fields at every level, and the shipped examples valid under both.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "slime/core/config.h"
#include "slime/core/yaml.h"
#include "slime/modules/policy/definition.h"

namespace slime::policy {
namespace {

namespace fs = std::filesystem;

core::Json read_yaml(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = core::parse_yaml(ss.str(), p.string());
  EXPECT_TRUE(j) << j.error().str();
  return j ? *j : core::Json();
}

std::vector<std::string> property_names(const core::Json& schema_object) {
  std::vector<std::string> out;
  for (auto& [k, _] : schema_object.at("properties").items()) out.push_back(k);
  return out;  // nlohmann's object is sorted
}

TEST(PolicySchema, ValidatorAcceptsExactlyTheSchemasFields) {
  core::Json schema = read_yaml(fs::path(SLIME_SOURCE_DIR) / "api/policy/definition.schema.json");
  ASSERT_TRUE(schema.is_object());
  const auto& fields = definition_fields();
  EXPECT_EQ(fields.at(""), property_names(schema));
  EXPECT_EQ(fields.at("watch"), property_names(schema["properties"]["watch"]));
  EXPECT_EQ(fields.at("rules[]"), property_names(schema["properties"]["rules"]["items"]));
  for (const char* level : {"", "watch", "rules[]"}) {
    const core::Json& s = *level == 0 ? schema
                          : std::string(level) == "watch" ? schema["properties"]["watch"]
                                                          : schema["properties"]["rules"]["items"];
    EXPECT_EQ(s.value("additionalProperties", true), false) << level;
  }
}

TEST(PolicySchema, ShippedExamplesAreValid) {
  size_t n = 0;
  for (auto& dir : fs::directory_iterator(fs::path(SLIME_SOURCE_DIR) / "examples/policies")) {
    if (!fs::exists(dir.path() / "policy.yaml")) continue;
    core::Json entry = read_yaml(dir.path() / "policy.yaml");
    std::vector<core::Error> warnings;
    auto config = core::parse_module_config(entry, "policy.yaml", warnings);
    ASSERT_TRUE(config) << config.error().str();
    Loaded l = load_definition(*config);
    std::string all;
    for (auto& e : l.errors) all += e.str() + "\n";
    EXPECT_TRUE(l.errors.empty()) << dir.path() << ":\n" << all;
    ++n;
  }
  EXPECT_GE(n, 4u);
}

}  // namespace
}  // namespace slime::policy

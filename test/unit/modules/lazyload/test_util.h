#pragma once
// Helpers for the lazyload unit tests: objects from YAML, a snapshot, a configured FenceConfig.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/yaml.h"
#include "slime/modules/lazyload/config.h"
#include "slime/store/memory_store.h"

namespace slime::lazyload::testing {

inline store::MemoryStore snapshot_of(const std::string& yaml) {
  store::MemoryStore s;
  auto parsed = core::parse_yaml_documents(yaml);
  EXPECT_TRUE(parsed.errors.empty()) << (parsed.errors.empty() ? "" : parsed.errors[0].str());
  for (auto& d : parsed.documents) s.put(core::Object(std::move(d.json)));
  return s;
}

inline FenceConfig config_of(const std::string& general_yaml = "{}", const std::string& global_yaml = "{}") {
  core::Json entry = {{"name", "lazyload"}, {"kind", "lazyload"}, {"enable", true}};
  entry["general"] = *core::parse_yaml(general_yaml);
  entry["global"] = *core::parse_yaml(global_yaml);
  std::vector<core::Error> warnings;
  auto m = core::parse_module_config(entry, "", warnings);
  EXPECT_TRUE(m) << (m ? "" : m.error().str());
  auto p = parse_config(*m);
  EXPECT_TRUE(p) << (p ? "" : p.error().str());
  return p ? std::move(p->config) : FenceConfig{};
}

inline std::chrono::system_clock::time_point at(int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

}  // namespace slime::lazyload::testing

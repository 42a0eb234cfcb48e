#pragma once
// Helpers for the boot unit tests: SlimeBoot specs and objects from YAML.
#include <gtest/gtest.h>

#include <string>

#include "slime/core/yaml.h"
#include "slime/modules/boot/manifests.h"
#include "slime/modules/boot/slimeboot.h"

namespace slime::boot::testing {

inline core::Json yaml(const std::string& text) {
  auto j = core::parse_yaml(text);
  EXPECT_TRUE(j) << (j ? "" : j.error().str());
  return j ? *j : core::Json();
}

inline SlimeBootSpec spec_of(const std::string& text) {
  auto p = parse_slimeboot_spec(yaml(text));
  EXPECT_TRUE(p) << (p ? "" : p.error().str());
  return p ? std::move(p->spec) : SlimeBootSpec{};
}

// The rendered object of a kind and name, or null.
inline const core::Object* find(const std::vector<core::Object>& objects, const std::string& kind, const std::string& name) {
  for (const auto& o : objects)
    if (o.kind() == kind && o.name() == name) return &o;
  return nullptr;
}

inline core::Json cfg_json(const core::Object& config_map, const std::string& key = "cfg") {
  auto j = core::parse_yaml(config_map.json()["data"][key].get<std::string>());
  EXPECT_TRUE(j);
  return j ? *j : core::Json();
}

}  // namespace slime::boot::testing

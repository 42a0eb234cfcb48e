#pragma once
// Which modules this build has, and turning configuration into configured module instances.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/module.h"

namespace slime::modules {

// Module kinds compiled into this binary, sorted.
std::vector<std::string> available_kinds();

// A fresh, unconfigured instance; null for an unknown kind.
std::unique_ptr<core::Module> create(std::string_view kind);

struct Instances {
  std::vector<std::unique_ptr<core::Module>> modules;
  std::vector<core::ModuleConfig> configs;  // parallel to modules
  std::vector<core::Error> warnings;        // e.g. a configured kind this build does not have
};

// Without a config file every available module runs with defaults; with one, the enabled entries do.
core::Result<Instances> instantiate(const core::SlimeConfig& config);

}  // namespace slime::modules

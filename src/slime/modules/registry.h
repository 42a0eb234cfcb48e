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

// Every compiled-in kind with what its default-configured instance reads and writes, sorted by kind.
const std::vector<core::ModuleInfo>& catalog();

// A fresh, unconfigured instance (given the catalog); null for an unknown kind.
std::unique_ptr<core::Module> create(std::string_view kind);

struct Instances {
  std::vector<std::unique_ptr<core::Module>> modules;
  std::vector<core::ModuleConfig> configs;  // parallel to modules
  std::vector<core::Error> warnings;        // e.g. unknown keys in a module's `general`
  // Configured kinds this build does not have. Not fatal for the other modules, but never silent:
  // `slime run` reports them on /readyz (not ready) and the logs, `slime render` fails.
  std::vector<core::Error> missing;
};

// Without a config file every available module runs with defaults; with one, the enabled entries do.
core::Result<Instances> instantiate(const core::SlimeConfig& config);

}  // namespace slime::modules

#pragma once
// The module configuration of a golden case (test/golden/<module>/<case>/) as `slime render --config`
// reads it: config.yaml (with a policy's `definition: FILE` relative to it), else `module` alone with
// defaults. Shared by the golden runner and the envtest that runs the same cases through `slime run`.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "slime/core/config.h"
#include "slime/core/yaml.h"
#include "slime/store/definition_files.h"

namespace slime::testing {

inline core::Result<core::SlimeConfig> golden_case_config(const std::filesystem::path& dir, const std::string& module) {
  core::SlimeConfig config;
  const auto path = dir / "config.yaml";
  if (!std::filesystem::exists(path)) {
    core::ModuleConfig m;
    m.name = m.kind = module;
    m.enable = true;
    m.global.misc = core::default_misc();
    config.modules.push_back(m);
    config.from_file = true;
    return config;
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  core::FieldLines lines;
  auto doc = core::parse_yaml(text.str(), "config.yaml", &lines);
  if (!doc) return std::unexpected(doc.error());
  auto parsed = core::parse_slime_config(*doc, path.string());
  if (!parsed) return std::unexpected(parsed.error());
  config = std::move(*parsed);
  store::read_definition_files(config, path.string(), &*doc, &lines);
  return config;
}

}  // namespace slime::testing

#include "config_file.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "slime/core/yaml.h"

namespace slime::cli {

core::Result<core::SlimeConfig> load_config_file(const std::string& path) {
  if (path.empty()) return core::SlimeConfig{};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    core::Error e;
    e.file = path;
    e.message = "cannot open config file";
    return std::unexpected(e);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = core::parse_yaml(ss.str(), path);
  if (!doc) return std::unexpected(doc.error());
  auto cfg = core::parse_slime_config(*doc, path);
  if (!cfg) return cfg;
  for (const auto& w : cfg->warnings) std::cerr << "warning: " << w.str() << '\n';
  return cfg;
}

}  // namespace slime::cli

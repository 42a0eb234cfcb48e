#include "slime/store/definition_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace slime::store {
namespace {

constexpr std::uintmax_t kMaxDefinitionBytes = 1 << 20;  // a definition is a page of YAML, not a data set

}  // namespace

void read_definition_files(core::SlimeConfig& config, const std::string& config_path) {
  namespace fs = std::filesystem;
  for (auto& m : config.modules) {
    core::Json& g = m.general;
    if (!g.is_object() || !g.contains("definition")) continue;
    if (g["definition"].is_object()) {
      g["definitionFile"] = config_path;
      continue;
    }
    if (!g["definition"].is_string()) continue;  // the module reports the wrong type
    fs::path path = g["definition"].get<std::string>();
    if (path.is_relative() && !config_path.empty()) path = fs::path(config_path).parent_path() / path;
    g["definitionFile"] = path.string();
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec) {
      g["definitionError"] = "cannot read the definition file: " + ec.message();
      continue;
    }
    if (size > kMaxDefinitionBytes) {
      g["definitionError"] = "the definition file is larger than 1 MiB";
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) {
      g["definitionError"] = "cannot open the definition file";
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    g["definitionText"] = ss.str();
  }
}

}  // namespace slime::store

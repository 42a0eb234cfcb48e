#include "slime/store/definition_files.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace slime::store {
namespace {

constexpr std::uintmax_t kMaxDefinitionBytes = 1 << 20;  // a definition is a page of YAML, not a data set

// Where `entry` sits in the config document: "" (the document is the entry), "module[i]" or
// "spec.module[i]" (a SlimeBoot); nullopt when it is not there (a bundle item from its own file).
std::optional<std::string> entry_path(const core::Json& doc, const core::Json& entry) {
  if (doc == entry) return "";
  for (const char* list : {"module", "spec"}) {
    const core::Json* mods = doc.is_object() && doc.contains(list) ? &doc[list] : nullptr;
    std::string prefix = list;
    if (mods && std::string(list) == "spec") {
      mods = mods->is_object() && mods->contains("module") ? &(*mods)["module"] : nullptr;
      prefix = "spec.module";
    }
    if (!mods || !mods->is_array()) continue;
    for (size_t i = 0; i < mods->size(); ++i)
      if ((*mods)[i] == entry) return prefix + "[" + std::to_string(i) + "]";
  }
  return std::nullopt;
}

core::Json inline_lines(const core::Json& doc, const core::FieldLines& lines, const core::Json& entry) {
  core::Json out = core::Json::object();
  auto at = entry_path(doc, entry);
  if (!at) return out;
  std::string prefix = core::join_path(*at, "general.definition");
  for (auto it = lines.lower_bound(prefix); it != lines.end() && it->first.starts_with(prefix); ++it) {
    std::string_view rest = std::string_view(it->first).substr(prefix.size());
    if (rest.empty()) out[""] = it->second;
    else if (rest[0] == '.') out[std::string(rest.substr(1))] = it->second;
    else if (rest[0] == '[') out[std::string(rest)] = it->second;
  }
  return out;
}

}  // namespace

void read_definition_files(core::SlimeConfig& config, const std::string& config_path, const core::Json* doc,
                           const core::FieldLines* lines) {
  namespace fs = std::filesystem;
  for (auto& m : config.modules) {
    core::Json& g = m.general;
    if (!g.is_object() || !g.contains("definition")) continue;
    if (g["definition"].is_object()) {
      g["definitionFile"] = config_path;
      if (doc && lines) g["definitionLines"] = inline_lines(*doc, *lines, m.raw);
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

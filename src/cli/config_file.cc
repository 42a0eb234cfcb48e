#include "config_file.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "slime/core/yaml.h"
#include "slime/store/definition_files.h"

namespace slime::cli {
namespace {

std::string read_all(std::ifstream& in) {
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The original's bundle layout (framework spec §B.1.2): the bundle entry in `cfg`, each item in
// `cfg_<name>` next to it, as a SlimeBoot's ConfigMap mounts them. Returns {module: [bundle, items...]}
// (items marked BundleItem so they run only inside the bundle), or null when `doc` is not a bundle entry.
core::Result<core::Json> with_bundle_items(const core::Json& doc, const std::string& path) {
  if (!doc.is_object() || !doc.contains("bundle") || doc.contains("module")) return core::Json();
  const core::Json& mods = doc["bundle"].is_object() ? doc["bundle"].value("modules", core::Json()) : core::Json();
  if (!mods.is_array()) return core::Json();
  core::Json out = {{"module", core::Json::array({doc})}};
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  for (const auto& m : mods) {
    if (!m.is_object() || !m.contains("name") || !m["name"].is_string()) continue;  // reported by the parser
    std::string item_path = dir + "/cfg_" + m["name"].get<std::string>();
    std::ifstream in(item_path, std::ios::binary);
    if (!in) continue;  // the parser reports the bundle item without an entry
    auto item = core::parse_yaml(read_all(in), item_path);
    if (!item) return std::unexpected(item.error());
    if (item->is_object()) (*item)["mode"] = "BundleItem";
    out["module"].push_back(std::move(*item));
  }
  return out;
}

}  // namespace

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
  core::FieldLines lines;  // for errors in inline policy definitions
  auto doc = core::parse_yaml(ss.str(), path, &lines);
  if (!doc) return std::unexpected(doc.error());
  if (auto bundle = with_bundle_items(*doc, path); !bundle) return std::unexpected(bundle.error());
  else if (!bundle->is_null()) {
    doc = std::move(*bundle);
    lines.clear();  // they describe the file, not the assembled bundle
  }
  auto cfg = core::parse_slime_config(*doc, path);
  if (!cfg) return cfg;
  store::read_definition_files(*cfg, path, &*doc, &lines);
  for (const auto& w : cfg->warnings) std::cerr << "warning: " << w.str() << '\n';
  return cfg;
}

}  // namespace slime::cli

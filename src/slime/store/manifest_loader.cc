#include "slime/store/manifest_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "slime/core/yaml.h"

namespace slime::store {
namespace fs = std::filesystem;
namespace {

bool is_manifest(const fs::path& p) {
  auto ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void add_object(core::Json doc, const std::string& file, int document, int line, const std::string& item_path,
                LoadResult& out) {
  auto obj = core::Object::from_json(std::move(doc));
  if (!obj) {
    core::Error e = std::move(obj.error());
    e.file = file;
    e.document = document;
    e.line = line;
    e.field = core::join_path(item_path, e.field);
    out.errors.push_back(std::move(e));
    return;
  }
  out.objects.push_back(LoadedObject{std::move(*obj), file, document, line});
}

}  // namespace

void load_text(std::string_view text, const std::string& file, LoadResult& out) {
  auto parsed = core::parse_yaml_documents(text, file);
  for (auto& e : parsed.errors) out.errors.push_back(std::move(e));
  for (auto& d : parsed.documents) {
    const core::Json& j = d.json;
    bool is_list = j.is_object() && j.contains("kind") && j["kind"].is_string() &&
                   j["kind"].get_ref<const std::string&>() == "List" && j.contains("items");
    if (is_list) {
      const core::Json& items = j["items"];
      if (!items.is_array()) {
        core::Error e;
        e.message = "expected a list";
        e.file = file;
        e.document = d.index;
        e.line = d.line;
        e.field = "items";
        out.errors.push_back(std::move(e));
        continue;
      }
      for (size_t i = 0; i < items.size(); ++i)
        add_object(items[i], file, d.index, d.line, "items[" + std::to_string(i) + "]", out);
      continue;
    }
    add_object(std::move(d.json), file, d.index, d.line, "", out);
  }
}

std::vector<std::string> manifest_files(const std::string& dir, std::vector<core::Error>* errors) {
  std::vector<std::string> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    files.push_back(dir);
    return files;
  }
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_manifest(it->path())) files.push_back(it->path().string());
  }
  if (ec && errors) {
    core::Error e;
    e.file = dir;
    e.message = "cannot read directory: " + ec.message();
    errors->push_back(std::move(e));
  }
  std::sort(files.begin(), files.end());
  return files;
}

LoadResult load_paths(const std::vector<std::string>& paths) {
  LoadResult out;
  for (const auto& path : paths) {
    if (path == "-") {
      std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
      load_text(text, "-", out);
      continue;
    }
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      core::Error e;
      e.file = path;
      e.message = "no such file or directory";
      out.errors.push_back(std::move(e));
      continue;
    }
    for (const auto& file : manifest_files(path, &out.errors)) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        core::Error e;
        e.file = file;
        e.message = "cannot open file";
        out.errors.push_back(std::move(e));
        continue;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      load_text(ss.str(), file, out);
    }
  }
  return out;
}

}  // namespace slime::store

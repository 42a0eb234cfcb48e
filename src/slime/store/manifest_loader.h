#pragma once
// Reads Kubernetes objects from files, directories (recursive *.yaml, *.yml, *.json) or stdin ("-").
// Every problem is collected with its file, document and line; valid objects are always returned.
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/object.h"

namespace slime::store {

struct LoadedObject {
  core::Object object;
  std::string file;
  int document = 0;
  int line = 0;
};

struct LoadResult {
  std::vector<LoadedObject> objects;
  std::vector<core::Error> errors;
};

// Parses one file's text: YAML/JSON documents, `kind: List` expanded into its items.
void load_text(std::string_view text, const std::string& file, LoadResult& out);

// Loads every path; a directory is walked recursively in sorted order so results are deterministic.
LoadResult load_paths(const std::vector<std::string>& paths);

// Lists manifest files under `dir` (recursive, sorted), or `dir` itself when it is a file.
std::vector<std::string> manifest_files(const std::string& dir, std::vector<core::Error>* errors = nullptr);

}  // namespace slime::store

#pragma once
// YAML <-> JSON. Parsing follows the YAML 1.2 core schema (what a Kubernetes user expects from
// `kubectl apply`): plain integers stay integers, quoted scalars stay strings, anchors/aliases and
// `<<` merge keys are resolved, and one broken document never hides the others in its file.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"

namespace slime::core {

struct Document {
  int index = 0;  // 0-based position in the file
  int line = 1;   // 1-based line where the document starts
  Json json;
};

struct ParsedFile {
  std::vector<Document> documents;  // empty documents (comments only, bare `---`) are dropped
  std::vector<Error> errors;        // one per document that failed to parse; file/document/line set
};

// Parses a multi-document YAML (or JSON) text. `file` only labels errors.
ParsedFile parse_yaml_documents(std::string_view text, std::string_view file = {});

// Field path ("rules[0].when", as Error::field spells it) -> 1-based line, for errors about a value that
// parsed fine but means something wrong (a definition file's validation).
using FieldLines = std::map<std::string, int, std::less<>>;

// Parses a single YAML or JSON value (e.g. a config file or a raw patch). With `lines`, records the line
// of every field of a YAML text (JSON text records none).
Result<Json> parse_yaml(std::string_view text, std::string_view file = {}, FieldLines* lines = nullptr);

// Deterministic block-style YAML for one document: Kubernetes envelope keys first (apiVersion, kind,
// metadata, spec, data, status), everything else in sorted order; strings quoted only when a plain
// scalar would read back as something else; multi-line strings as literal blocks.
std::string to_yaml(const Json& doc);

// Documents separated by "---\n".
std::string to_yaml_stream(const std::vector<Json>& docs);

}  // namespace slime::core

#pragma once
// A policy definition: the data that gives one `kind: policy` module entry its whole behaviour (what it
// watches, which metrics it asks per object, the rules over them, the objects it writes while a rule
// holds). docs/policy.md describes the format; api/policy/definition.schema.json is its JSON Schema,
// which this hand-written validator follows field for field (unknown fields are errors, as the schema's
// additionalProperties: false says).
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/error.h"
#include "slime/core/gvk.h"
#include "slime/core/json.h"
#include "slime/core/selector.h"
#include "slime/core/yaml.h"

namespace slime::policy {

struct Watch {
  core::Gvk gvk;
  std::vector<std::string> namespaces;  // empty: every namespace
  core::LabelSelector selector;         // empty: every object
};

struct Rule {
  std::string name;
  std::string when;                  // a calculator condition with {{.placeholders}}
  std::vector<core::Json> outputs;   // object templates
};

struct Definition {
  Watch watch;
  std::map<std::string, std::string> queries;  // value name -> PromQL template
  std::vector<Rule> rules;
  std::optional<core::Json> status;  // template of the watched object's status (own kinds only)
  std::chrono::milliseconds refresh = std::chrono::seconds(30);
  int hysteresis = 0;  // ticks a rule's new truth must hold before its outputs change
};

// Where a definition came from, so that every error names the file, line and field.
struct DefinitionSource {
  std::string file;          // the definition file, or the config file for an inline definition
  std::string field_prefix;  // "" for a file; "general.definition" for an inline definition
  core::FieldLines lines;    // field path (without prefix) -> line; empty when unknown

  core::Error error(const std::string& field, std::string message) const;
};

// Decodes `general` of a policy module entry: `definition` inline (a mapping), or the text of the file it
// names, which the driver read and passed in as `definitionText` (with `definitionFile`), or the
// driver's `definitionError` when it could not read it. Every problem found is returned, not only the first.
struct Loaded {
  std::optional<Definition> definition;  // set when there were no errors
  std::vector<core::Error> errors;
  DefinitionSource source;               // for problems found later, while rendering
};
Loaded load_definition(const core::ModuleConfig& config);

// The fields each level of a definition accepts ("" top level, "watch", "rules[]"): the validator's
// lists, which must equal the JSON Schema's `properties` (a unit test compares them).
const std::map<std::string, std::vector<std::string>>& definition_fields();

}  // namespace slime::policy

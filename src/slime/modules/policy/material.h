#pragma once
// What a policy's templates can read about one watched object: its fields (flattened to dotted paths,
// list items by index: `spec.ports.0.port`), its metric values by query name, and the rules' states.
#include <map>
#include <optional>
#include <string>

#include "slime/core/json.h"
#include "slime/core/object.h"
#include "slime/core/snapshot.h"
#include "slime/expr/template.h"

namespace slime::policy {

struct Material {
  expr::Material text;                                // for substitution into strings and conditions
  std::map<std::string, core::Json, std::less<>> typed;  // the same values with their JSON types
  std::map<std::string, std::string, std::less<>> unavailable;  // value name -> why it has no value

  void set(const std::string& key, core::Json value);
  // A number in the calculator's notation (plain decimals, no exponent).
  void set_number(const std::string& key, double value);
};

// metadata.name/namespace/labels/annotations, spec.*, status.* (keys a template cannot spell, such as
// labels with a '/', are left out).
Material object_material(const core::Object& object);

// A query's answer as one number: a bare number, "NaN"/"+Inf" strings, or an instant vector of exactly
// one sample. Empty (with `why` set) otherwise.
std::optional<double> single_sample(const core::Json& answer, std::string& why);

}  // namespace slime::policy

#pragma once
// Filling a policy's object and status templates from one object's material.
//
// In every string: `{{.name}}` is replaced by the value's text. A string that is exactly one placeholder
// takes the value with its type (a number stays a number). A string starting with `=` is a calculator
// expression (after substitution) and becomes a number: `"=1000 / {{.cpu}}"`; `"=ceil 1000 / {{.cpu}}"`
// and `"=floor ..."` round it to a whole number (token counts, replicas). Label and annotation values
// under `metadata` always stay strings, as Kubernetes requires.
#include <string_view>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/modules/policy/material.h"

namespace slime::policy {

struct Expression {
  enum Rounding { kNone, kCeil, kFloor } rounding = kNone;
  std::string_view body;  // the calculator expression, placeholders not yet substituted
};
// Splits "=ceil 1 + {{.a}}" into its rounding and body.
Expression split_expression(std::string_view text);

// `field` prefixes the path of the failing string in the error.
core::Result<core::Json> fill(const core::Json& tmpl, const Material& material, const std::string& field);

}  // namespace slime::policy

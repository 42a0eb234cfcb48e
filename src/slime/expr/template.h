#pragma once
// `{{.a.b.c}}` substitution over a flat "material" map ("a.b.c" -> "value"), the only template form the
// original's limiter expressions use. Unlike Go's html/template, a missing key is an error (the original
// renders "" and then computes 0), and a reference to a group of values (`{{._base}}` when only
// `_base.pod` exists) is an error too.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/error.h"

namespace slime::expr {

using Material = std::map<std::string, std::string, std::less<>>;

// The keys `text` references, in order of appearance (duplicates kept once). Fails on malformed
// templates (`{{` without `}}`, anything but `.path` inside the braces).
core::Result<std::vector<std::string>> references(std::string_view text);

// Replaces every `{{.key}}` (spaces inside the braces allowed) with its value.
core::Result<std::string> substitute(std::string_view text, const Material& material);

// Checks the template and the arithmetic syntax without any material.
core::Result<void> check_expression(std::string_view text);

// A quota: the expression's value rounded up to a whole number (so that `100/3` per pod still adds up to
// at least 100). Negative values are an error.
core::Result<uint64_t> evaluate_quota(std::string_view text, const Material& material);

// A condition: the literals `true`/`false`, or an expression that is true when non-zero.
core::Result<bool> evaluate_condition(std::string_view text, const Material& material);

}  // namespace slime::expr

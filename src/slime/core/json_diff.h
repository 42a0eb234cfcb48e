#pragma once
// Semantic comparison of JSON documents: key order is irrelevant, numbers compare by value
// (1 == 1.0), list order matters. Used by golden tests and by the appliers' "changed?" checks.
#include <string>
#include <vector>

#include "slime/core/json.h"

namespace slime::core {

bool json_equal(const Json& a, const Json& b);

// One line per difference: "spec.configPatches[0].patch.value.name: expected \"a\", got \"b\"".
// At most `limit` lines; a last line says how many more there were.
std::vector<std::string> json_diff(const Json& expected, const Json& actual, size_t limit = 50);

}  // namespace slime::core

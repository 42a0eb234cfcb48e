#pragma once
// Nesting bounds shared by the parsers, the emitter and json_diff. Hostile input ("[[[[..." a million
// levels deep) must end in an error naming the limit, never in a stack overflow of a recursive walk.
#include <cstddef>
#include <string_view>

#include "slime/core/json.h"

namespace slime::core {

// The deepest nesting below the top-level value any parser accepts (YAML and JSON alike). Kubernetes
// objects are rarely deeper than 20.
inline constexpr size_t kMaxNestingDepth = 256;
// The deepest the emitter and json_diff walk: room for module wrapping around parsed user content.
inline constexpr size_t kMaxWalkDepth = 1024;

// Depth of `j` (a scalar or an empty container is 1), counted without recursion; stops counting once it
// exceeds `stop_after`, so the cost is bounded by the nodes above that depth.
size_t json_depth(const Json& j, size_t stop_after = kMaxWalkDepth);

// Offset of the first '[' or '{' of JSON text that opens a level deeper than `max_depth` below the
// top-level value (strings and comments skipped), or npos. A linear scan before nlohmann builds the document.
size_t json_text_too_deep_at(std::string_view text, size_t max_depth = kMaxNestingDepth);

// JSON from the network (apiserver, Prometheus): a discarded value (`is_discarded()`) when the text is
// not JSON or nests deeper than kMaxNestingDepth, so the bound of the manifest parsers holds for every
// document that reaches a cache or a module, whoever sent it.
Json parse_untrusted_json(std::string_view text);

}  // namespace slime::core

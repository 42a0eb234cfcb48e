#pragma once
// Small JSON helpers the converters share: RFC 7386 merge patches, Go-protojson-like compact output,
// and base64 (Secret data).
#include "slime/core/base64.h"
#include <optional>
#include <string>
#include <string_view>

#include "slime/core/json.h"

namespace slime::plugin {

using core::Json;

// RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces.
void merge_patch(Json& target, const Json& patch);

// Compact JSON with sorted keys, and integral floating-point numbers written as integers (1.0 -> 1)
// the way Go's protojson writes a google.protobuf.Struct.
std::string compact_json(const Json& value);

// Standard base64 (with or without padding); nullopt when `in` is not base64.
using core::base64_decode;

}  // namespace slime::plugin

#pragma once
// Standard base64 decoding for Secret data and kubeconfig *-data fields.
#include <optional>
#include <string>
#include <string_view>

namespace slime::core {

// RFC 4648 base64, with or without padding; whitespace is ignored. nullopt when `in` is not base64.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace slime::core

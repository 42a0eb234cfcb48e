#pragma once
// Reading MessagePack in place, without building a tree: what a packed object (core::Object::pack) needs
// to answer its name, labels or resourceVersion, and to hand one member (spec.ports, endpoints) to a reader
// without unpacking the rest. Every step is bounds-checked: a truncated or malformed buffer reads as
// absent, never past its end.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

namespace slime::core::msgpack {

// A buffer that starts with one value (and may go on past it).
using Bytes = std::span<const std::uint8_t>;

// The length of the first value in `b`, 0 when it is malformed or truncated.
std::size_t value_size(Bytes b);

// The first value of `b`, exactly: b cut at value_size(b); empty when malformed.
Bytes value(Bytes b);

// The value under `key` when `b` starts with a map; nullopt when it is not a map or has no such key.
std::optional<Bytes> member(Bytes b, std::string_view key);

// Follows `path` through nested maps.
std::optional<Bytes> at(Bytes b, std::initializer_list<std::string_view> path);

// Each entry of the map `b` starts with, in stored order; `fn` returns false to stop. Entries whose key is
// not a string are skipped. False when `b` does not start with a well-formed map.
bool for_each_member(Bytes b, const std::function<bool(std::string_view key, Bytes value)>& fn);

// The string `b` starts with; nullopt when it starts with something else.
std::optional<std::string_view> as_string(Bytes b);

// The integer `b` starts with (signed or unsigned, as long as it fits); nullopt otherwise.
std::optional<std::int64_t> as_int(Bytes b);

}  // namespace slime::core::msgpack

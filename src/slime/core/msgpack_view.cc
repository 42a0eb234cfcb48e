#include "slime/core/msgpack_view.h"

namespace slime::core::msgpack {
namespace {

std::uint64_t big_endian(Bytes b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | b[at + i];
  return v;
}

// One value's header: how many bytes it takes itself (header and payload, children excluded) and how many
// child values follow it (array elements, or map keys and values).
struct Head {
  std::uint64_t own = 0;
  std::uint64_t children = 0;
};

std::optional<Head> head(Bytes b) {
  if (b.empty()) return std::nullopt;
  const std::uint8_t t = b[0];
  // The size of a length field that follows the type byte, read when it is there.
  auto sized = [&](std::size_t n) -> std::optional<std::uint64_t> {
    if (b.size() < 1 + n) return std::nullopt;
    return big_endian(b, 1, n);
  };
  if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) return Head{1, 0};
  if (t >= 0x80 && t <= 0x8f) return Head{1, 2u * (t & 0x0f)};
  if (t >= 0x90 && t <= 0x9f) return Head{1, t & 0x0fu};
  if (t >= 0xa0 && t <= 0xbf) return Head{1u + (t & 0x1f), 0};
  switch (t) {
    case 0xca: return Head{5, 0};
    case 0xcb: return Head{9, 0};
    case 0xcc: case 0xd0: return Head{2, 0};
    case 0xcd: case 0xd1: return Head{3, 0};
    case 0xce: case 0xd2: return Head{5, 0};
    case 0xcf: case 0xd3: return Head{9, 0};
    case 0xd4: return Head{3, 0};
    case 0xd5: return Head{4, 0};
    case 0xd6: return Head{6, 0};
    case 0xd7: return Head{10, 0};
    case 0xd8: return Head{18, 0};
    case 0xc4: case 0xd9: if (auto n = sized(1)) return Head{2 + *n, 0}; break;
    case 0xc5: case 0xda: if (auto n = sized(2)) return Head{3 + *n, 0}; break;
    case 0xc6: case 0xdb: if (auto n = sized(4)) return Head{5 + *n, 0}; break;
    case 0xc7: if (auto n = sized(1)) return Head{3 + *n, 0}; break;
    case 0xc8: if (auto n = sized(2)) return Head{4 + *n, 0}; break;
    case 0xc9: if (auto n = sized(4)) return Head{6 + *n, 0}; break;
    case 0xdc: if (auto n = sized(2)) return Head{3, *n}; break;
    case 0xdd: if (auto n = sized(4)) return Head{5, *n}; break;
    case 0xde: if (auto n = sized(2)) return Head{3, 2 * *n}; break;
    case 0xdf: if (auto n = sized(4)) return Head{5, 2 * *n}; break;
    default: break;  // 0xc1: never used
  }
  return std::nullopt;
}

// The number of entries of the map `b` starts with and the size of its header; nullopt for anything else.
std::optional<std::pair<std::uint64_t, std::size_t>> map_head(Bytes b) {
  if (b.empty()) return std::nullopt;
  const std::uint8_t t = b[0];
  if (t >= 0x80 && t <= 0x8f) return std::pair<std::uint64_t, std::size_t>{t & 0x0fu, 1};
  if ((t == 0xde && b.size() >= 3) || (t == 0xdf && b.size() >= 5)) {
    auto h = head(b);
    if (h) return std::pair<std::uint64_t, std::size_t>{h->children / 2, h->own};
  }
  return std::nullopt;
}

}  // namespace

std::size_t value_size(Bytes b) {
  // Iterative: `pending` counts the values still to skip, so nesting costs no stack. Every value takes at
  // least one byte, so more pending values than bytes left means a lying length: malformed.
  std::uint64_t pending = 1;
  std::size_t pos = 0;
  while (pending > 0) {
    if (pending > b.size() - pos) return 0;
    auto h = head(b.subspan(pos));
    if (!h || h->own > b.size() - pos) return 0;
    pos += h->own;
    pending = pending - 1 + h->children;
  }
  return pos;
}

Bytes value(Bytes b) { return b.first(value_size(b)); }

bool for_each_member(Bytes b, const std::function<bool(std::string_view key, Bytes value)>& fn) {
  auto m = map_head(b);
  if (!m) return false;
  std::size_t pos = m->second;
  for (std::uint64_t i = 0; i < m->first; ++i) {
    std::size_t key_size = value_size(b.subspan(pos));
    if (key_size == 0) return false;
    auto key = as_string(b.subspan(pos));
    pos += key_size;
    std::size_t value_len = value_size(b.subspan(pos));
    if (value_len == 0) return false;
    if (key && !fn(*key, b.subspan(pos, value_len))) return true;
    pos += value_len;
  }
  return true;
}

std::optional<Bytes> member(Bytes b, std::string_view key) {
  std::optional<Bytes> out;
  for_each_member(b, [&](std::string_view k, Bytes v) {
    if (k != key) return true;
    out = v;
    return false;
  });
  return out;
}

std::optional<Bytes> at(Bytes b, std::initializer_list<std::string_view> path) {
  std::optional<Bytes> cur = b;
  for (auto key : path) {
    cur = member(*cur, key);
    if (!cur) return std::nullopt;
  }
  return cur;
}

std::optional<std::string_view> as_string(Bytes b) {
  if (b.empty()) return std::nullopt;
  const std::uint8_t t = b[0];
  std::size_t header = 0;
  if (t >= 0xa0 && t <= 0xbf) header = 1;
  else if (t == 0xd9) header = 2;
  else if (t == 0xda) header = 3;
  else if (t == 0xdb) header = 5;
  else return std::nullopt;
  auto h = head(b);
  if (!h || h->own > b.size()) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(b.data()) + header, h->own - header);
}

std::optional<std::int64_t> as_int(Bytes b) {
  if (b.empty()) return std::nullopt;
  const std::uint8_t t = b[0];
  if (t <= 0x7f) return t;
  if (t >= 0xe0) return static_cast<std::int8_t>(t);
  auto h = head(b);
  if (!h || h->own > b.size()) return std::nullopt;
  const std::size_t n = h->own - 1;
  switch (t) {
    case 0xcc: case 0xcd: case 0xce: return static_cast<std::int64_t>(big_endian(b, 1, n));
    case 0xcf: {
      std::uint64_t v = big_endian(b, 1, n);
      if (v > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<std::int64_t>(v);
    }
    case 0xd0: return static_cast<std::int8_t>(big_endian(b, 1, n));
    case 0xd1: return static_cast<std::int16_t>(big_endian(b, 1, n));
    case 0xd2: return static_cast<std::int32_t>(big_endian(b, 1, n));
    case 0xd3: return static_cast<std::int64_t>(big_endian(b, 1, n));
    default: return std::nullopt;
  }
}

}  // namespace slime::core::msgpack

#include "slime/modules/plugin/json_util.h"

#include <cmath>

namespace slime::plugin {

void merge_patch(Json& target, const Json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it->is_null()) {
      target.erase(it.key());
    } else {
      merge_patch(target[it.key()], *it);
    }
  }
}

namespace {
// Struct numbers are doubles; protojson prints whole ones without a fraction.
Json normalise_numbers(const Json& v) {
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9007199254740992.0) return static_cast<int64_t>(d);
    return v;
  }
  if (v.is_object()) {
    Json out = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = normalise_numbers(*it);
    return out;
  }
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& e : v) out.push_back(normalise_numbers(e));
    return out;
  }
  return v;
}

bool has_float(const Json& v) {
  if (v.is_number_float()) return true;
  if (v.is_object() || v.is_array())
    for (const auto& e : v)
      if (has_float(e)) return true;
  return false;
}

int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string compact_json(const Json& value) {
  // Keys are already sorted (std::map-backed Json); only floats need rewriting, and rarely occur.
  if (!has_float(value)) return value.dump(-1, ' ', false, Json::error_handler_t::replace);
  return normalise_numbers(value).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<std::string> base64_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  size_t padding = 0;
  for (char ch : in) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding) return std::nullopt;  // data after padding
    int v = b64_value(c);
    if (v < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if (padding > 2 || bits >= 6) return std::nullopt;
  return out;
}

}  // namespace slime::plugin

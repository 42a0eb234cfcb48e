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

}  // namespace

std::string compact_json(const Json& value) {
  // Keys are already sorted (std::map-backed Json); only floats need rewriting, and rarely occur.
  if (!has_float(value)) return value.dump(-1, ' ', false, Json::error_handler_t::replace);
  return normalise_numbers(value).dump(-1, ' ', false, Json::error_handler_t::replace);
}


}  // namespace slime::plugin

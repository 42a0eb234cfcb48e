#include "slime/core/fields.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace slime::core {

std::string snake_to_camel(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool upper = false;
  for (char c : s) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

namespace {
std::string camel_to_snake(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') {
      out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}
}  // namespace

FieldReader::FieldReader(const Json& obj, std::string path) : obj_(&obj), path_(std::move(path)) {
  if (!obj.is_null() && !obj.is_object()) type_error_ = std::string("expected a mapping, got ") + obj.type_name();
}

const Json* FieldReader::get(std::string_view camel) {
  if (!obj_->is_object()) return nullptr;
  const auto& map = obj_->get_ref<const Json::object_t&>();
  auto lookup = [&](std::string_view k) -> std::optional<const Json*> {
    auto it = map.find(k);
    if (it == map.end()) return std::nullopt;
    if (std::find(seen_.begin(), seen_.end(), &it->first) == seen_.end()) seen_.push_back(&it->first);
    return it->second.is_null() ? nullptr : &it->second;
  };
  if (auto found = lookup(camel)) return *found;
  // The snake_case spelling differs only when the name has capitals.
  if (std::any_of(camel.begin(), camel.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    if (auto found = lookup(camel_to_snake(camel))) return *found;
  return nullptr;
}

Result<std::string> FieldReader::string(std::string_view camel, std::string def) {
  const Json* v = get(camel);
  if (!v) return def;
  if (!v->is_string()) return fail(std::string("expected a string, got ") + v->type_name(), child(camel));
  return v->get<std::string>();
}

Result<bool> FieldReader::boolean(std::string_view camel, bool def) {
  const Json* v = get(camel);
  if (!v) return def;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    // protojson accepts only true/false literals; the strings are a courtesy for YAML users.
    const auto& s = v->get_ref<const std::string&>();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return fail("expected true or false, got " + v->dump(), child(camel));
}

Result<int64_t> FieldReader::integer(std::string_view camel, int64_t def) {
  const Json* v = get(camel);
  if (!v) return def;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return fail("integer out of range", child(camel));
    return static_cast<int64_t>(v->get<uint64_t>());
  }
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9.2e18) return static_cast<int64_t>(d);
  }
  if (v->is_string()) {  // protojson writes int64 as a string
    const auto& s = v->get_ref<const std::string&>();
    char* end = nullptr;
    errno = 0;
    long long x = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && end && *end == '\0' && errno == 0) return static_cast<int64_t>(x);
  }
  return fail("expected an integer, got " + v->dump(), child(camel));
}

Result<double> FieldReader::number(std::string_view camel, double def) {
  const Json* v = get(camel);
  if (!v) return def;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    char* end = nullptr;
    double x = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == '\0' && std::isfinite(x)) return x;
  }
  return fail("expected a number, got " + v->dump(), child(camel));
}

Result<int> FieldReader::enumeration(std::string_view camel, std::initializer_list<std::string_view> names, int def) {
  const Json* v = get(camel);
  if (!v) return def;
  std::string allowed;
  for (auto n : names) allowed += (allowed.empty() ? "" : ", ") + std::string(n);
  if (v->is_string()) {
    int i = 0;
    for (auto n : names) {
      if (v->get_ref<const std::string&>() == n) return i;
      ++i;
    }
    return fail("expected one of " + allowed + ", got " + v->dump(), child(camel));
  }
  if (v->is_number_integer() || v->is_number_unsigned()) {
    auto i = v->get<int64_t>();
    if (i >= 0 && i < static_cast<int64_t>(names.size())) return static_cast<int>(i);
  }
  return fail("expected one of " + allowed + " (or its number), got " + v->dump(), child(camel));
}

std::vector<Error> FieldReader::unknown_fields() const {
  std::vector<Error> out;
  if (!type_error_.empty()) {
    Error e;
    e.message = type_error_;
    e.field = path_;
    out.push_back(std::move(e));
    return out;
  }
  if (!obj_->is_object()) return out;
  for (const auto& entry : obj_->get_ref<const Json::object_t&>()) {
    const std::string& key = entry.first;
    if (std::find(seen_.begin(), seen_.end(), &key) != seen_.end()) continue;
    Error e;
    e.message = "unknown field";
    e.field = join_path(path_, key);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace slime::core

#include "slime/modules/policy/material.h"

#include "slime/expr/number.h"

#include <cmath>
#include <optional>

namespace slime::policy {
namespace {

constexpr int kMaxDepth = 32;  // deeper fields are not worth a template's while, and bound the walk

bool spellable(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

void flatten(Material& m, const core::Json& v, const std::string& path, int depth) {
  if (depth > kMaxDepth) return;
  if (v.is_object()) {
    for (auto& [k, c] : v.items())
      if (spellable(k)) flatten(m, c, path + "." + k, depth + 1);
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) flatten(m, v[i], path + "." + std::to_string(i), depth + 1);
  } else if (!v.is_null()) {
    m.set(path, v);
  }
}

}  // namespace

void Material::set(const std::string& key, core::Json value) {
  text[key] = value.is_string()         ? value.get<std::string>()
              : value.is_number_float() ? expr::format_number(value.get<double>())  // never 1e-05
                                        : value.dump();
  typed[key] = std::move(value);
}

void Material::set_number(const std::string& key, double value) {
  text[key] = expr::format_number(value);
  double whole = 0;
  if (std::modf(value, &whole) == 0 && std::abs(value) < 9e15) typed[key] = static_cast<int64_t>(value);
  else typed[key] = value;
}

Material object_material(const core::Object& object) {
  Material m;
  const core::Json& doc = object.json();
  auto meta = doc.find("metadata");
  if (meta != doc.end() && meta->is_object())
    for (const char* k : {"name", "namespace", "labels", "annotations"})
      if (auto it = meta->find(k); it != meta->end()) flatten(m, *it, std::string("metadata.") + k, 1);
  for (const char* k : {"spec", "status"})
    if (auto it = doc.find(k); it != doc.end()) flatten(m, *it, k, 0);
  return m;
}

std::optional<double> single_sample(const core::Json& answer, std::string& why) {
  const core::Json* sample = &answer;
  if (answer.is_array() && !(answer.size() == 2 && !answer[0].is_object())) {
    if (answer.size() != 1) {
      why = "returned " + std::to_string(answer.size()) + " samples (a rule needs exactly one; aggregate it, e.g. with sum())";
      return std::nullopt;
    }
    sample = &answer[0];
  }
  std::optional<double> v;
  if (sample->is_object()) {
    if (auto it = sample->find("value"); it != sample->end()) v = expr::sample_value(*it);
  } else {
    v = expr::sample_value(*sample);
  }
  if (!v) why = "returned no numeric value";
  else if (std::isnan(*v)) {
    why = "returned NaN (no traffic?)";
    return std::nullopt;
  }
  return v;
}

}  // namespace slime::policy

#include "slime/modules/policy/fill.h"

#include <cmath>

#include "slime/expr/calculator.h"

namespace slime::policy {
namespace {

// "{{.a.b}}" (spaces allowed inside the braces) -> "a.b"; empty when `s` is anything else.
std::string_view sole_reference(std::string_view s) {
  if (!s.starts_with("{{") || !s.ends_with("}}") || s.size() < 5) return {};
  std::string_view inner = s.substr(2, s.size() - 4);
  if (inner.find("{{") != std::string_view::npos || inner.find("}}") != std::string_view::npos) return {};
  while (!inner.empty() && inner.front() == ' ') inner.remove_prefix(1);
  while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
  if (inner.size() < 2 || inner[0] != '.') return {};
  return inner.substr(1);
}

core::Json number(double v) {
  double whole = 0;
  if (std::modf(v, &whole) == 0 && std::abs(v) < 9e15) return static_cast<int64_t>(v);
  return v;
}

}  // namespace

Expression split_expression(std::string_view text) {
  Expression e;
  text.remove_prefix(1);  // '='
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  if (text.starts_with("ceil ")) e.rounding = Expression::kCeil;
  else if (text.starts_with("floor ")) e.rounding = Expression::kFloor;
  if (e.rounding != Expression::kNone) text.remove_prefix(text.find(' ') + 1);
  e.body = text;
  return e;
}

// `text_only`: inside metadata.labels / metadata.annotations, whose values Kubernetes requires to be strings.
static core::Result<core::Json> fill_value(const core::Json& tmpl, const Material& material, const std::string& field,
                                    bool text_only, int depth) {
  if (tmpl.is_string()) {
    const std::string& s = tmpl.get_ref<const std::string&>();
    if (s.find("{{") == std::string::npos && !s.starts_with("=")) return tmpl;
    if (s.starts_with("=")) {
      Expression e = split_expression(s);
      auto text = expr::substitute(e.body, material.text);
      if (!text) return std::unexpected(std::move(text.error()).at_field(field));
      auto v = expr::calculate(*text);
      if (!v) return std::unexpected(std::move(v.error()).at_field(field));
      core::Json n = number(e.rounding == Expression::kCeil    ? std::ceil(*v)
                            : e.rounding == Expression::kFloor ? std::floor(*v)
                                                               : *v);
      return text_only ? core::Json(n.dump()) : n;
    }
    if (auto ref = sole_reference(s); !ref.empty() && !text_only)
      if (auto it = material.typed.find(ref); it != material.typed.end()) return it->second;
    auto text = expr::substitute(s, material.text);
    if (!text) return std::unexpected(std::move(text.error()).at_field(field));
    return core::Json(std::move(*text));
  }
  if (tmpl.is_object()) {
    core::Json out = core::Json::object();
    for (auto& [k, v] : tmpl.items()) {
      bool strings = text_only || (depth == 1 && (k == "labels" || k == "annotations") && field.ends_with("metadata"));
      auto r = fill_value(v, material, core::join_path(field, k), strings, depth + 1);
      if (!r) return r;
      out[k] = std::move(*r);
    }
    return out;
  }
  if (tmpl.is_array()) {
    core::Json out = core::Json::array();
    for (size_t i = 0; i < tmpl.size(); ++i) {
      auto r = fill_value(tmpl[i], material, field + "[" + std::to_string(i) + "]", text_only, depth + 1);
      if (!r) return r;
      out.push_back(std::move(*r));
    }
    return out;
  }
  return tmpl;
}

core::Result<core::Json> fill(const core::Json& tmpl, const Material& material, const std::string& field) {
  return fill_value(tmpl, material, field, false, 0);
}

}  // namespace slime::policy

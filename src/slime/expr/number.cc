#include "slime/expr/number.h"

#include <charconv>
#include <cmath>

namespace slime::expr {

std::optional<double> sample_value(const core::Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_array() && v.size() == 2) return sample_value(v[1]);
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (s == "NaN") return std::nan("");
  if (s == "+Inf" || s == "Inf") return INFINITY;
  if (s == "-Inf") return -INFINITY;
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return d;
}

std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::to_string(v);
  std::string s(buf, end);
  if (s.find('e') != std::string::npos) {
    auto [end2, ec2] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    if (ec2 == std::errc()) s.assign(buf, end2);
  }
  return s;
}

}  // namespace slime::expr

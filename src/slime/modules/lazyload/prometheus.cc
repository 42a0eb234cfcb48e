#include "slime/modules/lazyload/prometheus.h"

#include <charconv>
#include <cmath>

namespace slime::lazyload {

std::string prometheus_query(const std::string& tmpl, const std::string& ns, const std::string& name) {
  std::string out;
  out.reserve(tmpl.size() + 32);
  for (size_t i = 0; i < tmpl.size();) {
    if (tmpl.compare(i, 10, "$namespace") == 0) {
      out += ns;
      i += 10;
    } else if (tmpl.compare(i, 11, "$source_app") == 0) {
      out += name;
      i += 11;
    } else {
      out += tmpl[i++];
    }
  }
  return out;
}

namespace {
std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::map<std::string, std::string> metric_status_from_vector(const core::Json& vector) {
  std::map<std::string, std::string> out;
  if (!vector.is_array()) return out;
  for (const auto& sample : vector) {
    if (!sample.is_object()) continue;
    std::string name, labels;
    if (auto m = sample.find("metric"); m != sample.end() && m->is_object()) {
      for (auto& [k, v] : m->items()) {
        if (!v.is_string()) continue;
        if (k == "__name__") {
          name = v.get<std::string>();
          continue;
        }
        if (!labels.empty()) labels += ", ";
        labels += k + "=" + quote(v.get<std::string>());
      }
    }
    double value = 0;
    if (auto v = sample.find("value"); v != sample.end()) {
      if (v->is_number()) value = v->get<double>();
      else if (v->is_array() && v->size() == 2 && (*v)[1].is_string()) value = std::strtod((*v)[1].get<std::string>().c_str(), nullptr);
      else if (v->is_string()) value = std::strtod(v->get<std::string>().c_str(), nullptr);
    }
    out[name + "{" + labels + "}"] = format_value(value);
  }
  return out;
}

}  // namespace slime::lazyload

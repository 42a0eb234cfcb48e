#include "slime/modules/limiter/metrics.h"

#include <charconv>
#include <cmath>
#include <optional>

namespace slime::limiter {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// A Prometheus sample value: a JSON number, or the API's string form ("563.38", "NaN", "+Inf").
std::optional<double> sample_value(const core::Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_array() && v.size() == 2) return sample_value(v[1]);  // [timestamp, "value"] as the API returns it
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

}  // namespace

std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return std::to_string(v);
  std::string s(buf, end);
  // to_chars may choose exponent notation (1e+06); the calculator reads plain decimals only.
  if (s.find('e') != std::string::npos) {
    auto [end2, ec2] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
    if (ec2 == std::errc()) s.assign(buf, end2);
  }
  return s;
}

std::vector<MetricBinding> metric_bindings(const LimiterConfig& config, const Workload& workload, std::string_view ns,
                                           std::string_view name) {
  std::vector<MetricBinding> out;
  if (config.disable_adaptive) return out;
  for (const auto& [handler, h] : config.handlers) {
    std::string query = h.query;
    replace_all(query, "$namespace", ns);
    replace_all(query, "$source_app", name);
    if (query.find("$pod_name") == std::string::npos) {
      out.push_back({handler, {"prometheus", query}});
      continue;
    }
    for (const auto& set : workload.sets) {
      if (set.pods.empty()) continue;
      std::string joined;
      for (const auto& pod : set.pods) joined += (joined.empty() ? "" : "|") + pod;
      std::string q = query;
      replace_all(q, "$pod_name", joined);
      out.push_back({set.name + "." + handler, {"prometheus", std::move(q)}});
    }
  }
  return out;
}

Material build_material(const Workload& workload, const std::vector<MetricBinding>& bindings,
                        const core::MetricValues& metrics) {
  Material m;
  for (const auto& b : bindings) {
    const core::Json* v = metrics.get(b.request);
    if (!v) {
      m.unavailable[b.key] = "no value yet for query " + b.request.query;
      continue;
    }
    // An instant vector must hold exactly one sample to name one number.
    const core::Json* sample = v;
    if (v->is_array()) {
      if (v->size() != 1) {
        m.unavailable[b.key] = "query " + b.request.query + " returned " + std::to_string(v->size()) +
                               " samples (a limiter needs exactly one; aggregate it, e.g. with sum())";
        continue;
      }
      sample = &(*v)[0];
    }
    std::optional<double> value;
    if (sample->is_object()) {
      auto it = sample->find("value");
      if (it != sample->end()) value = sample_value(*it);
    } else {
      value = sample_value(*sample);
    }
    if (!value) {
      m.unavailable[b.key] = "query " + b.request.query + " returned no numeric value";
      continue;
    }
    m.values[b.key] = format_number(*value);
  }
  // Pod counts override a metric of the same name, as in the original.
  for (const auto& set : workload.sets) m.values[set.name + ".pod"] = std::to_string(set.count);
  // A value and a group on the same path ("cpu" and "cpu.max") cannot both be named: keep the group.
  for (auto it = m.values.begin(); it != m.values.end();) {
    auto next = std::next(it);
    if (next != m.values.end() && next->first.size() > it->first.size() && next->first.starts_with(it->first) &&
        next->first[it->first.size()] == '.') {
      m.unavailable[it->first] = "the name is also a group of values (" + next->first + ")";
      it = m.values.erase(it);
    } else {
      it = next;
    }
  }
  return m;
}

}  // namespace slime::limiter

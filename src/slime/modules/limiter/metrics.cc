#include "slime/modules/limiter/metrics.h"

#include <optional>

#include "slime/expr/number.h"

namespace slime::limiter {
namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

}  // namespace

std::string format_number(double v) { return expr::format_number(v); }

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
      if (it != sample->end()) value = expr::sample_value(*it);
    } else {
      value = expr::sample_value(*sample);
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

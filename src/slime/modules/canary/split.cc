#include "slime/modules/canary/split.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "slime/expr/calculator.h"
#include "slime/expr/number.h"
#include "slime/expr/template.h"
#include "slime/modules/canary/analysis.h"

namespace slime::canary {
namespace {

core::MetricRequest request(const Split& sp, std::string_view ns, const Subset& subset, const std::string& query) {
  auto q = render_query(query, sp.service, ns, subset, sp.window);
  return {"prometheus", q ? *q : std::string()};
}

}  // namespace

std::vector<core::MetricRequest> split_requests(const Split& split, std::string_view ns) {
  std::vector<core::MetricRequest> out;
  for (const auto& s : split.subsets)
    for (const auto& [_, query] : split.metrics) out.push_back(request(split, ns, s, query));
  return out;
}

std::vector<int> to_percentages(const std::vector<double>& raw) {
  double total = std::accumulate(raw.begin(), raw.end(), 0.0);
  std::vector<int> out(raw.size(), 0);
  std::vector<std::pair<double, size_t>> remainders;
  int assigned = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    double exact = raw[i] * 100.0 / total;
    out[i] = static_cast<int>(std::floor(exact));
    assigned += out[i];
    remainders.push_back({exact - out[i], i});
  }
  std::stable_sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; assigned < 100 && k < remainders.size(); ++k, ++assigned) ++out[remainders[k].second];
  return out;
}

SplitOutcome advance_split(const core::Object& obj, const Split& sp, const core::MetricValues& metrics,
                           const std::optional<std::string>& conflict, TimePoint now) {
  SplitOutcome out;
  core::Json st = obj.status().is_object() ? obj.status() : core::Json::object();
  // The weights in force: the last ones written, or an even split to begin with.
  std::vector<double> even(sp.subsets.size(), 1.0);
  std::vector<int> current = to_percentages(even);
  bool have_current = st.contains("weights") && st["weights"].is_object();
  if (have_current)
    for (size_t i = 0; i < sp.subsets.size(); ++i) {
      const auto& w = st["weights"];
      auto it = w.find(sp.subsets[i].name);
      if (it == w.end() || !it->is_number_integer()) {
        have_current = false;  // the subsets changed: start from the computed weights
        break;
      }
      current[i] = it->get<int>();
    }

  // Each subset's weight from its own metrics.
  std::vector<double> raw;
  std::string missing;
  core::Json values = core::Json::object();
  for (const auto& subset : sp.subsets) {
    expr::Material m;
    for (const auto& [name, query] : sp.metrics) {
      std::string why;
      auto v = single_value(metrics, request(sp, obj.ns(), subset, query), why);
      if (!v) {
        missing += (missing.empty() ? "" : "; ") + subset.name + "." + name + ": " + why;
        continue;
      }
      m[name] = expr::format_number(*v);
      values[subset.name][name] = m[name];
    }
    if (m.size() != sp.metrics.size()) continue;
    auto text = expr::substitute(sp.weight, m);
    auto v = text ? expr::calculate(*text) : std::unexpected(text.error());
    if (!v || !std::isfinite(*v) || *v < 0) {
      missing += (missing.empty() ? "" : "; ") + subset.name + ": weight " +
                 (v ? "is " + expr::format_number(*v) + " (expected a non-negative number)" : v.error().message);
      continue;
    }
    raw.push_back(*v);
  }
  bool computed = missing.empty() && raw.size() == sp.subsets.size() &&
                  std::any_of(raw.begin(), raw.end(), [](double d) { return d > 0; });
  core::Json eval = {{"time", format_time(now)}, {"values", std::move(values)}};
  std::string message;
  if (!computed) {
    message = missing.empty() ? "every subset's weight is 0: keeping the weights in force" : "no verdict (" + missing + "): keeping the weights in force";
  } else {
    std::vector<int> next = to_percentages(raw);
    core::Json proposed = core::Json::object();
    int largest_move = 0;
    for (size_t i = 0; i < next.size(); ++i) {
      proposed[sp.subsets[i].name] = next[i];
      largest_move = std::max(largest_move, std::abs(next[i] - current[i]));
    }
    eval["proposed"] = std::move(proposed);
    if (largest_move == 0) {
      message = "weights follow the metrics";
    } else if (!have_current || largest_move >= std::max(sp.min_change, 1)) {
      {
        std::string text;
        for (size_t i = 0; i < next.size(); ++i)
          text += (i ? ", " : "") + sp.subsets[i].name + " " + std::to_string(next[i]) + "%";
        out.events.push_back({obj.key(), "Normal", "WeightsChanged", text});
      }
      current = next;
      message = "weights follow the metrics";
    } else {
      message = "largest change " + std::to_string(largest_move) + " points is below minChange " +
                std::to_string(sp.min_change) + ": keeping the weights in force";
    }
  }
  core::Json weights = core::Json::object();
  for (size_t i = 0; i < sp.subsets.size(); ++i) {
    weights[sp.subsets[i].name] = current[i];
    out.weights.push_back({sp.subsets[i].name, current[i]});
  }
  // The time says when these figures were first seen: an unchanged evaluation keeps it, so that
  // re-reconciling an unchanged world writes an unchanged status (no write, no watch event, no loop).
  if (st.contains("lastEvaluation") && st["lastEvaluation"].is_object()) {
    core::Json before = st["lastEvaluation"];
    before.erase("time");
    core::Json after = eval;
    after.erase("time");
    if (before == after && st["lastEvaluation"].contains("time")) eval["time"] = st["lastEvaluation"]["time"];
  }
  st["phase"] = "Splitting";
  st["weights"] = std::move(weights);
  st["lastEvaluation"] = std::move(eval);
  st["message"] = message;
  if (obj.generation() > 0) st["observedGeneration"] = obj.generation();
  core::Json cond = {{"type", "RoutesConflict"}, {"status", conflict ? "True" : "False"},
                     {"reason", conflict ? "OtherWriter" : "RoutesOwned"}};
  if (conflict) cond["message"] = *conflict + " already routes this host; the split writes no routes";
  st["conditions"] = core::Json::array({std::move(cond)});
  out.status = std::move(st);
  out.write_routes = !conflict;
  return out;
}

}  // namespace slime::canary

#include "slime/modules/canary/analysis.h"

#include <cmath>

#include "slime/expr/number.h"
#include "slime/expr/template.h"

namespace slime::canary {
namespace {

core::MetricRequest request_for(const Check& c, const Release& rel, std::string_view ns, const Subset& subset) {
  // Templates were checked at parse time; a failure here would be a missing key, reported by analyse().
  auto q = render_query(c.query, rel.service, ns, subset, rel.window);
  return {"prometheus", q ? *q : std::string()};
}

CheckResult judge(const Check& c, const Release& rel, std::string_view ns, const core::MetricValues& metrics) {
  CheckResult r;
  r.name = c.name;
  std::string why;
  auto q_canary = render_query(c.query, rel.service, ns, rel.canary, rel.window);
  if (!q_canary) {
    r.message = "query: " + q_canary.error().message;
    return r;
  }
  r.canary = single_value(metrics, {"prometheus", *q_canary}, why);
  if (!r.canary) {
    r.message = "canary: " + why;
    return r;
  }
  expr::Material m{{"canary", expr::format_number(*r.canary)}};
  if (c.uses_stable) {
    r.stable = single_value(metrics, request_for(c, rel, ns, rel.stable), why);
    if (!r.stable) {
      r.message = "stable: " + why;
      return r;
    }
    m["stable"] = expr::format_number(*r.stable);
  }
  auto ok = expr::evaluate_condition(c.condition, m);
  if (!ok) {
    // Division by zero and the like: the numbers do not allow a judgement.
    r.message = "condition: " + ok.error().message;
    return r;
  }
  r.verdict = *ok ? Verdict::kPass : Verdict::kFail;
  if (!*ok) {
    auto text = expr::substitute(c.condition, m);
    r.message = "not " + (text ? *text : c.condition);
  }
  return r;
}

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "Pass";
    case Verdict::kFail: return "Fail";
    case Verdict::kNoVerdict: break;
  }
  return "NoVerdict";
}

core::Result<std::string> render_query(std::string_view text, std::string_view service, std::string_view ns,
                                       const Subset& subset, std::string_view window) {
  expr::Material m{{"service", std::string(service)},
                   {"namespace", std::string(ns)},
                   {"subset", subset.name},
                   {"version", subset.version()},
                   {"interval", std::string(window)}};
  return expr::substitute(text, m);
}

std::optional<double> single_value(const core::MetricValues& metrics, const core::MetricRequest& request,
                                   std::string& why) {
  const core::Json* v = metrics.get(request);
  if (!v) {
    why = "no answer (yet) to " + request.query;
    return std::nullopt;
  }
  const core::Json* sample = v;
  if (v->is_array()) {
    if (v->empty()) {
      why = "no data";
      return std::nullopt;
    }
    if (v->size() != 1) {
      why = std::to_string(v->size()) + " samples (a check needs one; aggregate the query, e.g. with sum())";
      return std::nullopt;
    }
    sample = &(*v)[0];
  }
  std::optional<double> value;
  if (sample->is_object()) {
    if (auto it = sample->find("value"); it != sample->end()) value = expr::sample_value(*it);
  } else {
    value = expr::sample_value(*sample);
  }
  if (!value) {
    why = "no numeric value";
    return std::nullopt;
  }
  if (!std::isfinite(*value)) {
    // 0/0 (no requests in the window) is NaN: that is no data, not a number to judge.
    why = "no data (" + expr::format_number(*value) + ")";
    return std::nullopt;
  }
  return value;
}

std::vector<core::MetricRequest> analysis_requests(const Release& rel, std::string_view ns) {
  std::vector<core::MetricRequest> out;
  for (const auto& c : rel.checks) {
    out.push_back(request_for(c, rel, ns, rel.canary));
    if (c.uses_stable) out.push_back(request_for(c, rel, ns, rel.stable));
  }
  return out;
}

Analysis analyse(const Release& rel, std::string_view ns, const core::MetricValues& metrics) {
  Analysis a;
  bool any_fail = false, any_none = false;
  for (const auto& c : rel.checks) {
    a.checks.push_back(judge(c, rel, ns, metrics));
    any_fail |= a.checks.back().verdict == Verdict::kFail;
    any_none |= a.checks.back().verdict == Verdict::kNoVerdict;
  }
  a.verdict = any_fail ? Verdict::kFail : any_none ? Verdict::kNoVerdict : Verdict::kPass;
  return a;
}

core::Json analysis_json(const Analysis& a, std::string_view time) {
  core::Json checks = core::Json::array();
  for (const auto& c : a.checks) {
    core::Json j = {{"name", c.name}, {"verdict", verdict_name(c.verdict)}};
    // Strings, as Kubernetes statuses carry quantities: no float rounding surprises in YAML.
    if (c.canary) j["canary"] = expr::format_number(*c.canary);
    if (c.stable) j["stable"] = expr::format_number(*c.stable);
    if (!c.message.empty()) j["message"] = c.message;
    checks.push_back(std::move(j));
  }
  return {{"time", std::string(time)}, {"verdict", verdict_name(a.verdict)}, {"checks", std::move(checks)}};
}

}  // namespace slime::canary

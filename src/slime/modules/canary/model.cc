#include "slime/modules/canary/model.h"

#include <charconv>

#include "slime/core/fields.h"
#include "slime/expr/template.h"
#include "slime/modules/canary/builtin_checks.h"

namespace slime::canary {
namespace {

using core::FieldReader;
using core::Json;

// Every parse step returns the first problem; the caller names the object.
#define CANARY_TRY(var, expr)                                 \
  auto var##_r = (expr);                                      \
  if (!var##_r) return std::unexpected(var##_r.error());      \
  auto var = std::move(*var##_r)

core::Result<void> no_unknown_fields(const FieldReader& r) {
  auto unknown = r.unknown_fields();
  if (unknown.empty()) return {};
  return std::unexpected(unknown.front());
}

core::Result<std::map<std::string, std::string>> string_map(const Json* v, const std::string& field) {
  std::map<std::string, std::string> out;
  if (!v) return out;
  if (!v->is_object()) return core::fail("expected a mapping of label to value", field);
  for (const auto& [k, val] : v->items()) {
    if (!val.is_string()) return core::fail("expected a string", core::join_path(field, k));
    out[k] = val.get<std::string>();
  }
  return out;
}

bool valid_subset_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return s.front() != '-' && s.back() != '-';
}

core::Result<Subset> parse_subset(const Json* v, const std::string& field, std::string default_name) {
  if (!v) return core::fail("is required (a version: {name, labels})", field);
  FieldReader r(*v, field);
  if (!r.ok()) return std::unexpected(r.unknown_fields().front());
  Subset s;
  CANARY_TRY(name, r.string("name", std::move(default_name)));
  s.name = std::move(name);
  if (!valid_subset_name(s.name))
    return core::fail("expected a DNS label (lower-case letters, digits, '-'), got '" + s.name + "'", r.child("name"));
  CANARY_TRY(labels, string_map(r.get("labels"), r.child("labels")));
  if (labels.empty()) return core::fail("expected at least one label that selects this version's pods", r.child("labels"));
  s.labels = std::move(labels);
  if (auto u = no_unknown_fields(r); !u) return std::unexpected(u.error());
  return s;
}

core::Result<std::string> template_field(FieldReader& r, std::string_view name, bool required) {
  CANARY_TRY(text, r.string(name));
  if (text.empty()) {
    if (required) return core::fail("is required", r.child(name));
    return text;
  }
  if (auto ok = expr::references(text); !ok) return core::fail(ok.error().message, r.child(name));
  return text;
}

core::Result<void> check_condition(const std::string& condition, const std::string& field,
                                   std::initializer_list<std::string_view> allowed) {
  if (auto ok = expr::check_expression(condition); !ok)
    return core::fail("expected a calculator expression: " + ok.error().message, field);
  auto refs = expr::references(condition);
  for (const auto& ref : *refs)
    if (std::find(allowed.begin(), allowed.end(), ref) == allowed.end()) {
      std::string names;
      for (auto a : allowed) names += (names.empty() ? "" : ", ") + std::string("{{.") + std::string(a) + "}}";
      return core::fail("{{." + ref + "}} is not known here (expected " + names + ")", field);
    }
  return {};
}

core::Result<Check> parse_check(const Json& v, const std::string& field) {
  FieldReader r(v, field);
  if (!r.ok()) return std::unexpected(r.unknown_fields().front());
  Check c;
  CANARY_TRY(builtin, r.string("builtin"));
  CANARY_TRY(query, template_field(r, "query", false));
  CANARY_TRY(condition, r.string("condition"));
  CANARY_TRY(name, r.string("name", builtin));
  if (name.empty()) return core::fail("is required", r.child("name"));
  c.name = std::move(name);
  if (!builtin.empty() && !query.empty()) return core::fail("give either builtin or query, not both", field);
  if (!builtin.empty()) {
    const BuiltinCheck* b = find_builtin(builtin);
    if (!b) return core::fail("unknown built-in check '" + builtin + "' (expected " + builtin_names() + ")", r.child("builtin"));
    c.builtin = builtin;
    c.query = b->query;
    if (condition.empty()) condition = b->condition;
  } else if (query.empty()) {
    return core::fail("expected builtin (" + builtin_names() + ") or query (a PromQL template)", field);
  } else {
    c.query = std::move(query);
  }
  if (condition.empty()) return core::fail("is required for a query check (e.g. \"{{.canary}} <= {{.stable}} * 1.1\")", r.child("condition"));
  if (auto ok = check_condition(condition, r.child("condition"), {"canary", "stable"}); !ok) return std::unexpected(ok.error());
  auto refs = expr::references(condition);
  c.uses_stable = std::find(refs->begin(), refs->end(), "stable") != refs->end();
  c.condition = std::move(condition);
  if (auto u = no_unknown_fields(r); !u) return std::unexpected(u.error());
  return c;
}

core::Result<std::vector<int>> parse_schedule_steps(FieldReader& r) {
  std::vector<int> steps;
  CANARY_TRY(step_weight, r.integer("stepWeight", 0));
  CANARY_TRY(max_weight, r.integer("maxWeight", 50));
  const Json* list = r.get("steps");
  // A misspelt field explains the rest better than "stepWeight is required" would.
  if (auto u = no_unknown_fields(r); !u) return std::unexpected(u.error());
  if (list) {
    if (step_weight != 0) return core::fail("give either steps or stepWeight (+ maxWeight), not both", r.path());
    if (!list->is_array() || list->empty()) return core::fail("expected a list of weights such as [5, 20, 50]", r.child("steps"));
    for (size_t i = 0; i < list->size(); ++i) {
      const Json& w = (*list)[i];
      std::string f = r.child("steps") + "[" + std::to_string(i) + "]";
      if (!w.is_number_integer() || w.get<int64_t>() < 1 || w.get<int64_t>() > 100)
        return core::fail("expected a whole percentage 1..100, got " + w.dump(), f);
      int weight = w.get<int>();
      if (!steps.empty() && weight <= steps.back()) return core::fail("weights must increase", f);
      steps.push_back(weight);
    }
    return steps;
  }
  if (step_weight < 1 || step_weight > 100)
    return core::fail("expected a whole percentage 1..100 (or give steps: [...])", r.child("stepWeight"));
  if (max_weight < step_weight || max_weight > 100)
    return core::fail("expected stepWeight <= maxWeight <= 100", r.child("maxWeight"));
  for (int64_t w = step_weight; w <= max_weight; w += step_weight) steps.push_back(static_cast<int>(w));
  return steps;
}

core::Result<Release> parse_release(FieldReader& spec, std::string service) {
  Release rel;
  rel.service = std::move(service);
  CANARY_TRY(stable, parse_subset(spec.get("stable"), spec.child("stable"), "stable"));
  CANARY_TRY(canary, parse_subset(spec.get("canary"), spec.child("canary"), "canary"));
  if (stable.name == canary.name) return core::fail("the canary needs a subset name other than the stable one", spec.child("canary.name"));
  if (stable.labels == canary.labels) return core::fail("the canary's labels select the same pods as the stable's", spec.child("canary.labels"));
  rel.stable = std::move(stable);
  rel.canary = std::move(canary);

  const Json* sched = spec.get("schedule");
  if (!sched) return core::fail("is required (interval and stepWeight + maxWeight, or steps)", spec.child("schedule"));
  FieldReader s(*sched, spec.child("schedule"));
  if (!s.ok()) return std::unexpected(s.unknown_fields().front());
  CANARY_TRY(interval_text, s.string("interval", "1m"));
  auto interval = parse_duration(interval_text);
  if (!interval) return core::fail(interval.error().message, s.child("interval"));
  if (*interval < std::chrono::seconds(1)) return core::fail("expected at least 1s", s.child("interval"));
  rel.interval = *interval;
  CANARY_TRY(steps, parse_schedule_steps(s));
  rel.steps = std::move(steps);

  const Json* an = spec.get("analysis");
  static const Json kNone;  // the reader keeps a pointer: no temporary
  FieldReader a(an ? *an : kNone, spec.child("analysis"));
  if (!a.ok()) return std::unexpected(a.unknown_fields().front());
  CANARY_TRY(window, a.string("window", interval_text));
  if (auto w = parse_duration(window); !w) return core::fail(w.error().message, a.child("window"));
  rel.window = std::move(window);
  CANARY_TRY(threshold, a.integer("threshold", 2));
  if (threshold < 1 || threshold > 1000) return core::fail("expected 1..1000 failed analyses", a.child("threshold"));
  rel.threshold = static_cast<int>(threshold);
  CANARY_TRY(no_data, a.string("noData", "hold"));
  if (no_data != "hold" && no_data != "fail") return core::fail("expected hold or fail, got '" + no_data + "'", a.child("noData"));
  rel.no_data = no_data == "fail" ? NoData::kFail : NoData::kHold;
  if (const Json* checks = a.get("checks")) {
    if (!checks->is_array()) return core::fail("expected a list of checks", a.child("checks"));
    for (size_t i = 0; i < checks->size(); ++i) {
      CANARY_TRY(c, parse_check((*checks)[i], a.child("checks") + "[" + std::to_string(i) + "]"));
      for (const auto& other : rel.checks)
        if (other.name == c.name) return core::fail("duplicate check name '" + c.name + "'", a.child("checks") + "[" + std::to_string(i) + "].name");
      rel.checks.push_back(std::move(c));
    }
  }
  if (rel.checks.empty())
    return core::fail("expected at least one check (e.g. {builtin: request-success-rate}); a release without analysis "
                      "would promote on time alone", a.child("checks"));
  if (auto u = no_unknown_fields(a); !u) return std::unexpected(u.error());

  CANARY_TRY(promotion, spec.string("promotion", "Automatic"));
  if (promotion != "Automatic" && promotion != "Manual")
    return core::fail("expected Automatic or Manual, got '" + promotion + "'", spec.child("promotion"));
  rel.promotion = promotion == "Manual" ? Promotion::kManual : Promotion::kAutomatic;
  CANARY_TRY(promote, spec.boolean("promote"));
  CANARY_TRY(paused, spec.boolean("paused"));
  rel.promote = promote;
  rel.paused = paused;
  return rel;
}

core::Result<Split> parse_split(const Json& v, const std::string& field, std::string service) {
  Split sp;
  sp.service = std::move(service);
  FieldReader r(v, field);
  if (!r.ok()) return std::unexpected(r.unknown_fields().front());
  const Json* subsets = r.get("subsets");
  if (!subsets || !subsets->is_array() || subsets->size() < 2)
    return core::fail("expected a list of at least two subsets {name, labels}", r.child("subsets"));
  for (size_t i = 0; i < subsets->size(); ++i) {
    std::string f = r.child("subsets") + "[" + std::to_string(i) + "]";
    CANARY_TRY(s, parse_subset(&(*subsets)[i], f, ""));
    for (const auto& other : sp.subsets)
      if (other.name == s.name) return core::fail("duplicate subset name '" + s.name + "'", f + ".name");
    sp.subsets.push_back(std::move(s));
  }
  CANARY_TRY(metrics, string_map(r.get("metrics"), r.child("metrics")));
  for (const auto& [name, query] : metrics) {
    std::string f = core::join_path(r.child("metrics"), name);
    if (name.empty() || name.find('.') != std::string::npos) return core::fail("expected a plain name", f);
    if (auto ok = expr::references(query); !ok) return core::fail(ok.error().message, f);
  }
  sp.metrics = std::move(metrics);
  CANARY_TRY(weight, r.string("weight"));
  if (weight.empty()) return core::fail("is required (an expression over the subset's metrics, e.g. {{.capacity}})", r.child("weight"));
  if (auto ok = expr::check_expression(weight); !ok) return core::fail("expected a calculator expression: " + ok.error().message, r.child("weight"));
  auto weight_refs = expr::references(weight);
  for (const auto& ref : *weight_refs)
    if (!sp.metrics.count(ref)) return core::fail("{{." + ref + "}} is not one of the split's metrics", r.child("weight"));
  sp.weight = std::move(weight);
  CANARY_TRY(min_change, r.integer("minChange", 5));
  if (min_change < 0 || min_change > 100) return core::fail("expected 0..100 percentage points", r.child("minChange"));
  sp.min_change = static_cast<int>(min_change);
  CANARY_TRY(window, r.string("window", "1m"));
  if (auto w = parse_duration(window); !w) return core::fail(w.error().message, r.child("window"));
  sp.window = std::move(window);
  if (auto u = no_unknown_fields(r); !u) return std::unexpected(u.error());
  return sp;
}

core::Result<CanaryRelease> parse_spec(const core::Object& obj) {
  CanaryRelease out;
  out.ns = obj.ns();
  out.name = obj.name();
  FieldReader spec(obj.spec(), "spec");
  if (!spec.ok() || obj.spec().is_null()) return core::fail("expected a mapping", "spec");
  CANARY_TRY(host, spec.string("host"));
  if (host.empty()) return core::fail("is required (the Service whose traffic is split)", "spec.host");
  // A short name or the Service's FQDN in the release's namespace: routes are namespaced with the release.
  std::string fqdn_suffix = "." + out.ns + ".svc.cluster.local";
  if (host.ends_with(fqdn_suffix)) host.resize(host.size() - fqdn_suffix.size());
  if (host.find('.') != std::string::npos)
    return core::fail("expected a Service name in namespace " + out.ns + " (or its FQDN), got '" + host + "'", "spec.host");
  if (const Json* split = spec.get("split")) {
    for (const char* other : {"stable", "canary", "schedule", "analysis"})
      if (spec.has(other)) return core::fail("a split has no " + std::string(other) + " (it is not a canary release)", std::string("spec.") + other);
    CANARY_TRY(sp, parse_split(*split, "spec.split", host));
    out.is_split = true;
    out.split = std::move(sp);
  } else {
    CANARY_TRY(rel, parse_release(spec, host));
    out.release = std::move(rel);
  }
  if (auto u = no_unknown_fields(spec); !u) return std::unexpected(u.error());
  return out;
}

#undef CANARY_TRY

}  // namespace

std::string Subset::version() const {
  auto it = labels.find("version");
  return it == labels.end() ? name : it->second;
}

core::Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  std::string_view unit(end, text.data() + text.size() - end);
  auto bad = [&] { return core::fail("expected a duration such as 30s, 1m, 500ms or 1h, got '" + std::string(text) + "'"); };
  if (ec != std::errc() || end == text.data() || n <= 0 || n > 1000000) return bad();
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "m") return std::chrono::milliseconds(n * 60000);
  if (unit == "h") return std::chrono::milliseconds(n * 3600000);
  return bad();
}

std::string routes_name(std::string_view release_name) { return std::string(release_name) + "-canary"; }

std::string service_fqdn(std::string_view service, std::string_view ns) {
  return std::string(service) + "." + std::string(ns) + ".svc.cluster.local";
}

core::Result<CanaryRelease> parse_canary_release(const core::Object& obj) {
  auto r = parse_spec(obj);
  if (!r) return std::unexpected(std::move(r.error()).in_object(obj.ref()));
  return r;
}

}  // namespace slime::canary

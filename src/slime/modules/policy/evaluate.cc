#include "slime/modules/policy/evaluate.h"

#include <set>

#include "slime/core/kinds.h"
#include "slime/modules/policy/fill.h"
#include "slime/modules/policy/hysteresis.h"
#include "slime/modules/policy/material.h"

namespace slime::policy {
namespace {

using core::Object;

const char* const kPrometheus = "prometheus";

core::Result<std::string> rendered_query(const std::string& tmpl, const Material& m) {
  return expr::substitute(tmpl, m.text);
}

}  // namespace

Engine::Engine(Definition definition, DefinitionSource source, std::string policy_name, std::string slime_namespace)
    : def_(std::move(definition)),
      src_(std::move(source)),
      policy_(std::move(policy_name)),
      slime_namespace_(std::move(slime_namespace)) {}

std::vector<core::GroupKind> Engine::writes() const {
  std::set<core::GroupKind> kinds;
  for (const auto& r : def_.rules)
    for (const auto& o : r.outputs) kinds.insert(core::Gvk::from(o["apiVersion"].get<std::string>(), o["kind"].get<std::string>()).group_kind());
  if (def_.hysteresis > 0) kinds.insert(core::kConfigMapGk);
  return {kinds.begin(), kinds.end()};
}

bool Engine::selects(const core::Object& o) const {
  if (o.key().gk != def_.watch.gvk.group_kind()) return false;
  const core::Json& meta = o.json().contains("metadata") ? o.json()["metadata"] : core::Json();
  if (meta.is_object() && meta.contains("deletionTimestamp")) return false;
  if (!def_.watch.namespaces.empty() &&
      std::find(def_.watch.namespaces.begin(), def_.watch.namespaces.end(), o.ns()) == def_.watch.namespaces.end())
    return false;
  return def_.watch.selector.empty() || def_.watch.selector.matches(o.labels());
}

std::vector<const core::Object*> Engine::watched(const core::Snapshot& snapshot) const {
  std::vector<const core::Object*> out;
  auto add = [&](std::string_view ns) {
    for (const core::Object* o : snapshot.list(def_.watch.gvk.group_kind(), ns))
      if (selects(*o)) out.push_back(o);
  };
  if (def_.watch.namespaces.empty()) add({});
  else
    for (const auto& ns : std::set<std::string>(def_.watch.namespaces.begin(), def_.watch.namespaces.end())) add(ns);
  return out;
}

const core::Object* Engine::object_for_key(const core::Snapshot& snapshot, std::string_view key) const {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return nullptr;
  const core::Object* o = snapshot.get(
      {def_.watch.gvk.group_kind(), std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))});
  return o && selects(*o) ? o : nullptr;
}

std::optional<std::string> Engine::owner_key(const core::Object& written) const {
  if (written.annotation(kPolicyAnnotation) != policy_) return std::nullopt;
  std::string key = written.annotation(kPolicyObjectAnnotation);
  if (key.find('/') == std::string::npos) return std::nullopt;
  return key;
}

core::ObjectKey Engine::state_key(const core::Object& o) const {
  // Cluster-scoped watched objects keep their state in Slime's own namespace.
  return {core::kConfigMapGk, o.ns().empty() ? slime_namespace_ : o.ns(), "slime-policy." + policy_ + "." + o.name()};
}

std::vector<core::MetricRequest> Engine::metric_requests(const core::Object& object) const {
  std::vector<core::MetricRequest> out;
  if (def_.queries.empty()) return out;
  Material m = object_material(object);
  for (const auto& [name, tmpl] : def_.queries)
    if (auto q = rendered_query(tmpl, m)) out.push_back({kPrometheus, std::move(*q)});
  return out;
}

core::ModuleOutput Engine::render(const core::RenderContext& ctx, const core::Object& object) const {
  core::ModuleOutput out;
  std::string ref = object.ref();
  auto problem = [&](const std::string& field, std::string message) {
    core::Error e = src_.error(field, std::move(message));
    e.object = ref;
    out.problems.push_back(std::move(e));
  };

  Material m = object_material(object);
  for (const auto& [name, tmpl] : def_.queries) {
    auto q = rendered_query(tmpl, m);
    if (!q) {
      m.unavailable[name] = q.error().message;
      continue;
    }
    const core::Json* answer = ctx.metrics.get({kPrometheus, *q});
    if (!answer) {
      m.unavailable[name] = "no value yet for query " + *q;
      continue;
    }
    std::string why;
    if (auto v = single_sample(*answer, why)) m.set_number(name, *v);
    else m.unavailable[name] = "query " + *q + " " + why;
  }

  // Rules: truth from the condition (a rule whose values are missing does not hold: a stale or absent
  // number must not keep an output in force), then hysteresis.
  HoldState recorded;
  bool has_record = false;
  if (def_.hysteresis > 0) {
    const core::Object* cm = ctx.objects.get(state_key(object));
    has_record = cm != nullptr;
    recorded = read_hold_state(cm);
  }
  HoldState next;
  std::optional<std::chrono::system_clock::time_point> revisit;
  std::vector<bool> active(def_.rules.size(), false);
  auto hold = std::chrono::duration_cast<std::chrono::milliseconds>(def_.refresh * def_.hysteresis);
  for (size_t i = 0; i < def_.rules.size(); ++i) {
    const Rule& rule = def_.rules[i];
    std::string field = "rules[" + std::to_string(i) + "].when";
    bool truth = false;
    std::string missing;
    if (auto refs = expr::references(rule.when))
      for (const auto& r : *refs)
        if (auto it = m.unavailable.find(r); it != m.unavailable.end()) missing += (missing.empty() ? "" : "; ") + ("{{." + r + "}}: " + it->second);
    if (!missing.empty()) {
      problem(field, "rule " + rule.name + " cannot be evaluated: " + missing);
    } else if (auto t = expr::evaluate_condition(rule.when, m.text)) {
      truth = *t;
    } else {
      problem(field, "rule " + rule.name + ": " + t.error().message);
    }
    std::optional<RuleState> previous;
    if (has_record)
      if (auto it = recorded.find(rule.name); it != recorded.end()) previous = it->second;
    Decision d = decide(previous, truth, ctx.now, hold);
    next[rule.name] = d.state;
    active[i] = d.state.on;
    if (d.revisit && (!revisit || *d.revisit < *revisit)) revisit = d.revisit;
  }
  for (size_t i = 0; i < def_.rules.size(); ++i) m.set("rule." + def_.rules[i].name, active[i] ? 1 : 0);

  for (size_t i = 0; i < def_.rules.size(); ++i) {
    if (!active[i]) continue;
    const auto& outputs = def_.rules[i].outputs;
    for (size_t j = 0; j < outputs.size(); ++j) {
      std::string field = "rules[" + std::to_string(i) + "].outputs[" + std::to_string(j) + "]";
      auto filled = fill(outputs[j], m, field);
      if (!filled) {
        problem(filled.error().field, "cannot fill the template: " + filled.error().message);
        continue;
      }
      Object o(std::move(*filled));
      if (o.name().empty()) {
        problem(field + ".metadata.name", "the name renders empty");
        continue;
      }
      if (o.ns().empty() && !object.ns().empty()) o.set_namespace(object.ns());
      o.set_annotation(kPolicyAnnotation, policy_);
      o.set_annotation(kPolicyObjectAnnotation, object.ns() + "/" + object.name());
      // Garbage collection follows the watched object (an owner must live in the same namespace).
      if (o.ns() == object.ns()) o.add_owner(object, false);
      out.objects.push_back(std::move(o));
    }
  }

  if (def_.hysteresis > 0) {
    auto key = state_key(object);
    Object cm("v1", "ConfigMap", key.ns, key.name);
    cm.set_label("app.kubernetes.io/managed-by", "slime");
    cm.set_annotation(kPolicyAnnotation, policy_);
    cm.set_annotation(kPolicyObjectAnnotation, object.ns() + "/" + object.name());
    if (cm.ns() == object.ns()) cm.add_owner(object, false);
    cm.json()["data"] = hold_state_data(next);
    out.objects.push_back(std::move(cm));
  }

  if (def_.status) {
    auto status = fill(*def_.status, m, "status");
    if (!status) problem(status.error().field, "cannot fill the template: " + status.error().message);
    else out.statuses.push_back({object.key(), std::move(*status)});
  }
  out.revisit_at = revisit;  // a pending change comes due even if no answer changes meanwhile
  return out;
}

}  // namespace slime::policy

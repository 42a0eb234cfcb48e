#include "slime/graph/modules_summary.h"

namespace slime::graph {
namespace {

using core::Json;

const core::GroupKind kSmartLimiterGk{"microservice.slime.io", "SmartLimiter"};
const core::GroupKind kPluginManagerGk{"microservice.slime.io", "PluginManager"};
const core::GroupKind kCanaryReleaseGk{"microservice.slime.io", "CanaryRelease"};

// j[key] when j is an object holding it, else null: specs and statuses are user input of any shape.
const Json& at(const Json& j, const char* key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

Json scalar_or_null(const Json& j) { return j.is_primitive() ? j : Json(); }

// One descriptor as the user wrote it: the quota expression and the condition under which it applies.
Json descriptor_json(const Json& spec_d) {
  const Json& a = at(spec_d, "action");
  return Json{{"quotaExpression", scalar_or_null(at(a, "quota"))},
              {"strategy", scalar_or_null(at(a, "strategy"))},
              {"condition", scalar_or_null(at(spec_d, "condition"))},
              {"fillIntervalSeconds", scalar_or_null(at(at(a, "fill_interval"), "seconds"))}};
}

// One descriptor in force: status.ratelimitStatus lists only those whose condition holds, with the quota
// evaluated, so it cannot be paired with the spec's list by position.
Json effective_json(const Json& status_d) {
  const Json& a = at(status_d, "action");
  // The status is written with protojson names (fillInterval); the spec as users write it (fill_interval).
  return Json{{"quota", scalar_or_null(at(a, "quota"))},
              {"strategy", scalar_or_null(at(a, "strategy"))},
              {"fillIntervalSeconds", scalar_or_null(at(at(a, "fillInterval"), "seconds"))}};
}

Json limiter_json(const core::Object& o) {
  Json sets = Json::array();
  const Json& spec_sets = at(o.spec(), "sets");
  const Json& status_sets = at(o.status(), "ratelimitStatus");
  if (spec_sets.is_object()) {
    for (const auto& [name, set] : spec_sets.items()) {
      Json descriptors = Json::array(), effective = Json::array();
      if (const Json& ds = at(set, "descriptor"); ds.is_array())
        for (size_t i = 0; i < ds.size() && i < 50; ++i) descriptors.push_back(descriptor_json(ds[i]));
      if (const Json& ds = at(at(status_sets, name.c_str()), "descriptor"); ds.is_array())
        for (size_t i = 0; i < ds.size() && i < 50; ++i) effective.push_back(effective_json(ds[i]));
      sets.push_back(Json{{"name", name}, {"descriptors", std::move(descriptors)}, {"effective", std::move(effective)}});
    }
  }
  Json metrics = Json::object();
  if (const Json& ms = at(o.status(), "metricStatus"); ms.is_object()) {
    size_t n = 0;
    for (const auto& [k, v] : ms.items())
      if (n++ < 20) metrics[k] = scalar_or_null(v);
  }
  return Json{{"namespace", o.ns()}, {"name", o.name()}, {"sets", std::move(sets)}, {"metrics", std::move(metrics)}};
}

Json plugin_manager_json(const core::Object& o) {
  Json plugins = Json::array();
  if (const Json& list = at(o.spec(), "plugin"); list.is_array())
    for (size_t i = 0; i < list.size() && i < 50; ++i)
      plugins.push_back(Json{{"name", scalar_or_null(at(list[i], "name"))},
                             {"enable", scalar_or_null(at(list[i], "enable"))},
                             {"listenerType", scalar_or_null(at(list[i], "listenerType"))}});
  Json labels = Json::object();
  if (const Json& wl = at(o.spec(), "workloadLabels"); wl.is_object())
    for (const auto& [k, v] : wl.items()) labels[k] = scalar_or_null(v);
  return Json{{"namespace", o.ns()}, {"name", o.name()}, {"workloadLabels", std::move(labels)}, {"plugins", std::move(plugins)}};
}

Json canary_json(const core::Object& o) {
  const Json& st = o.status();
  Json conditions = Json::array();
  if (const Json& cs = at(st, "conditions"); cs.is_array())
    for (size_t i = 0; i < cs.size() && i < 20; ++i)
      conditions.push_back(Json{{"type", scalar_or_null(at(cs[i], "type"))},
                                {"status", scalar_or_null(at(cs[i], "status"))},
                                {"reason", scalar_or_null(at(cs[i], "reason"))}});
  Json weight = scalar_or_null(at(st, "weight"));
  return Json{{"namespace", o.ns()},
              {"name", o.name()},
              {"host", scalar_or_null(at(o.spec(), "host"))},
              {"phase", scalar_or_null(at(st, "phase"))},
              {"canaryWeight", weight.is_number() ? weight : Json(0)},
              {"stableWeight", weight.is_number() ? Json(100 - weight.get<int64_t>()) : Json(100)},
              {"step", scalar_or_null(at(st, "step"))},
              {"message", scalar_or_null(at(st, "message"))},
              {"conditions", std::move(conditions)}};
}

template <typename F>
Json list_of(const core::Snapshot& snapshot, const core::GroupKind& gk, const std::string& ns, size_t max, bool& truncated, F f) {
  Json out = Json::array();
  for (const auto* o : snapshot.list(gk, ns)) {
    if (out.size() >= max) {
      truncated = true;
      break;
    }
    out.push_back(f(*o));
  }
  return out;
}

}  // namespace

std::vector<core::GroupKind> modules_kinds() { return {kSmartLimiterGk, kPluginManagerGk, kCanaryReleaseGk}; }

Json modules_summary(const core::Snapshot& snapshot, const std::string& ns, size_t max_items) {
  bool truncated = false;
  Json out = Json::object();
  out["smartLimiters"] = list_of(snapshot, kSmartLimiterGk, ns, max_items, truncated, limiter_json);
  out["pluginManagers"] = list_of(snapshot, kPluginManagerGk, ns, max_items, truncated, plugin_manager_json);
  out["canaryReleases"] = list_of(snapshot, kCanaryReleaseGk, ns, max_items, truncated, canary_json);
  out["truncated"] = truncated;
  return out;
}

}  // namespace slime::graph

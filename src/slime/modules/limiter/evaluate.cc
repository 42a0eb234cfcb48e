#include "slime/modules/limiter/evaluate.h"

#include <algorithm>
#include <cmath>

#include "slime/expr/template.h"

namespace slime::limiter {
namespace {

core::Error problem(const Evaluation& ev, std::string field, std::string message) {
  core::Error e;
  e.object = std::string(kKind) + " " + ev.ns + "/" + ev.name;
  e.field = std::move(field);
  e.message = std::move(message);
  return e;
}

// Names the first referenced metric that has no value yet, if any.
std::optional<std::string> waiting_for(const std::string& text, const Material& material) {
  if (material.unavailable.empty()) return std::nullopt;
  auto refs = expr::references(text);
  if (!refs) return std::nullopt;
  for (const auto& key : *refs)
    if (auto it = material.unavailable.find(key); it != material.unavailable.end())
      return "{{." + key + "}} is not available: " + it->second;
  return std::nullopt;
}

bool references_pod_count(const std::string& quota) {
  auto refs = expr::references(quota);
  if (!refs) return false;
  for (const auto& key : *refs)
    if (key == "pod" || key.ends_with(".pod")) return true;
  return false;
}

std::vector<std::string> split_ips(const std::string& list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    std::string ip = list.substr(pos, comma - pos);
    auto b = ip.find_first_not_of(" \t");
    auto e = ip.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(ip.substr(b, e - b + 1));
    pos = comma + 1;
  }
  return out;
}

void evaluate_set(Evaluation& ev, const std::string& set_name, const DescriptorList& descriptors,
                  const WorkloadSet& set) {
  EvaluatedSet out;
  out.name = set_name;
  out.selector = ev.workload.selector;
  for (const auto& [k, v] : set.labels) out.selector[k] = v;
  for (const Descriptor& d : descriptors) {
    if (auto w = waiting_for(d.condition, ev.material)) {
      ev.problems.push_back(problem(ev, d.field + ".condition", *w));
      continue;
    }
    auto cond = expr::evaluate_condition(d.condition, ev.material.values);
    if (!cond) {
      ev.problems.push_back(problem(ev, d.field + ".condition", cond.error().message));
      continue;
    }
    if (!*cond) continue;
    if (auto w = waiting_for(d.action.quota, ev.material)) {
      ev.problems.push_back(problem(ev, d.field + ".action.quota", *w));
      continue;
    }
    auto quota = expr::evaluate_quota(d.action.quota, ev.material.values);
    if (!quota) {
      ev.problems.push_back(problem(ev, d.field + ".action.quota", quota.error().message));
      continue;
    }
    uint64_t q = *quota;
    // `average` shares the quota among the set's pods. Quotas written the original's way
    // (`100/{{._base.pod}}`) already do that themselves and are taken as they are.
    if (d.action.strategy == "average" && !references_pod_count(d.action.quota)) {
      if (set.count == 0) {
        ev.problems.push_back(problem(ev, d.field + ".action.quota",
                                      "strategy average divides the quota by the ready pods of set " + set_name +
                                          ", and it has none"));
        continue;
      }
      q = (q + set.count - 1) / set.count;
    }
    if (q == 0 && !d.action.global()) {
      ev.problems.push_back(problem(ev, d.field + ".action.quota",
                                    "quota is 0: Envoy's local token bucket needs at least 1 token (use condition to "
                                    "switch a limit off)"));
      continue;
    }
    WrappedDescriptor w;
    w.action = d.action;
    w.action.quota = std::to_string(q);
    w.quota = q;
    w.match = d.match;
    w.target = d.target;
    w.effective_target = d.target ? *d.target : (ev.spec.target ? *ev.spec.target : Target{});
    w.custom_key = d.custom_key;
    w.custom_value = d.custom_value;
    // One descriptor per IP of the first SourceIpMatch matcher.
    auto ip = std::find_if(w.match.begin(), w.match.end(), [](const Matcher& m) { return m.source == MatchSource::kSourceIp; });
    if (ip == w.match.end()) {
      out.descriptors.push_back(std::move(w));
      continue;
    }
    size_t index = static_cast<size_t>(ip - w.match.begin());
    for (const auto& piece : split_ips(ip->exact_match)) {
      WrappedDescriptor copy = w;
      copy.match[index].exact_match = piece;
      out.descriptors.push_back(std::move(copy));
    }
  }
  if (!out.descriptors.empty()) ev.sets.push_back(std::move(out));
}

}  // namespace

std::vector<core::MetricRequest> limiter_metric_requests(const core::RenderContext& ctx, const core::Object& limiter,
                                                         const LimiterConfig& config) {
  std::vector<core::MetricRequest> out;
  if (config.disable_adaptive || config.handlers.empty()) return out;
  if (!config.rev_in_scope(limiter.label("istio.io/rev"))) return out;
  ParsedLimiter parsed = parse_smart_limiter(limiter);
  auto workload = resolve_workload(ctx.objects, limiter, parsed.spec, config);
  if (!workload) return out;
  for (auto& b : metric_bindings(config, *workload, limiter.ns(), limiter.name())) out.push_back(std::move(b.request));
  return out;
}

Evaluation evaluate_limiter(const core::RenderContext& ctx, const core::Object& limiter, const LimiterConfig& config,
                            bool global_only) {
  Evaluation ev;
  ev.name = limiter.name();
  ev.ns = limiter.ns();
  if (!config.rev_in_scope(limiter.label("istio.io/rev"))) return ev;
  ev.in_scope = true;
  ParsedLimiter parsed = parse_smart_limiter(limiter, global_only ? Descriptors::kGlobalOnly : Descriptors::kAll);
  ev.spec = std::move(parsed.spec);
  ev.problems = std::move(parsed.problems);
  if (global_only) {
    // Sets without a global descriptor contribute nothing: no need to look for the workload.
    std::erase_if(ev.spec.sets, [](const auto& set) { return set.second.empty(); });
    if (ev.spec.sets.empty()) return ev;
  }
  auto workload = resolve_workload(ctx.objects, limiter, ev.spec, config);
  if (!workload) {
    core::Error e = std::move(workload.error());
    e.object = limiter.ref();
    ev.problems.push_back(std::move(e));
    return ev;
  }
  ev.resolved = true;
  ev.workload = std::move(*workload);
  ev.material = build_material(ev.workload, metric_bindings(config, ev.workload, ev.ns, ev.name), ctx.metrics);

  if (ev.spec.gateway) {
    auto inbound = [](const Target& t) { return !t.outbound() || (t.route.empty() && t.host.empty()); };
    for (const auto& [set, descriptors] : ev.spec.sets)
      for (const auto& d : descriptors)
        if (inbound(d.target ? *d.target : ev.spec.target ? *ev.spec.target : Target{}))
          ev.problems.push_back(problem(ev, d.field + ".target",
                                        "a gateway limiter needs an outbound target with route or host; this one "
                                        "patches SIDECAR_INBOUND, which a gateway does not have"));
  }
  for (const auto& [set_name, descriptors] : ev.spec.sets) {
    const WorkloadSet* set = ev.workload.find(set_name);
    if (!set) {
      ev.problems.push_back(problem(ev, "spec.sets." + set_name,
                                    ev.spec.gateway ? "a gateway limiter has only the _base set"
                                                    : "no DestinationRule subset named " + set_name + " for host " +
                                                          ev.workload.host));
      continue;
    }
    evaluate_set(ev, set_name, descriptors, *set);
  }
  return ev;
}

}  // namespace slime::limiter

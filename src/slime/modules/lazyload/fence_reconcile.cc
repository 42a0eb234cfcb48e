#include "slime/modules/lazyload/fence_reconcile.h"

#include "slime/modules/lazyload/domains.h"
#include "slime/modules/lazyload/fence.h"
#include "slime/modules/lazyload/names.h"
#include "slime/modules/lazyload/prometheus.h"
#include "slime/modules/lazyload/revision.h"
#include "slime/modules/lazyload/sidecar.h"

namespace slime::lazyload {

bool apply_dependency_ttl(FenceStatus& status, const FenceConfig& config, int64_t now_s) {
  if (!config.dependency_ttl) {
    bool had = !status.last_seen.empty();
    status.last_seen.clear();  // TTL switched off: the timestamps have no use any more
    return had;
  }
  bool changed = false;
  int64_t ttl = config.dependency_ttl->count();
  for (auto it = status.metric_status.begin(); it != status.metric_status.end();) {
    auto seen = status.last_seen.find(it->first);
    if (seen == status.last_seen.end()) {
      status.last_seen[it->first] = now_s;  // learned before the TTL was on: its clock starts now
      changed = true;
      ++it;
    } else if (now_s - seen->second > ttl) {
      status.last_seen.erase(seen);
      it = status.metric_status.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (auto it = status.last_seen.begin(); it != status.last_seen.end();) {
    if (!status.metric_status.count(it->first)) {
      it = status.last_seen.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  return changed;
}

core::ModuleOutput reconcile_fence(const core::Object& fence, const MeshView& view, const FenceConfig& config,
                                   std::chrono::system_clock::time_point now, const core::Json* prometheus_result) {
  core::ModuleOutput out;
  std::vector<core::Error> problems;
  FenceSpec spec = parse_fence_spec(fence.spec(), problems);
  FenceStatus status = parse_fence_status(fence.status(), problems);

  if (prometheus_result) status.metric_status = metric_status_from_vector(*prometheus_result);
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (config.metric_source == MetricSource::kAccessLog) apply_dependency_ttl(status, config, now_s);

  Domains fresh = compute_domains(spec, status.metric_status, view, config, now, problems);
  status.domains = apply_expire_wait(status.domains, std::move(fresh));
  core::Json encoded = encode_status(status);
  // An empty status on a fence that had none is not a change worth a write.
  if (!(encoded.empty() && (fence.status().is_null() || fence.status().empty())))
    out.statuses.push_back({fence.key(), std::move(encoded)});

  if (spec.enable) {
    std::optional<core::Error> selector_problem;
    auto labels = workload_labels(fence, spec, view.snapshot(), config, selector_problem);
    if (selector_problem) problems.push_back(std::move(*selector_problem));
    const core::Object* existing = view.snapshot().get({kSidecarGk, fence.ns(), fence.name()});
    bool foreign_rev = existing && !rev_in_scope(config.global, existing->label(kRevLabel));
    if (labels && !foreign_rev)
      out.objects.push_back(make_sidecar(fence, *labels, sidecar_hosts(status.domains, config, fence.ns())));
  }
  for (auto& p : problems) {
    if (p.object.empty()) p.object = fence.ref();
    out.problems.push_back(std::move(p));
  }
  return out;
}

}  // namespace slime::lazyload

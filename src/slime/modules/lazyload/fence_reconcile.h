#pragma once
// One ServiceFence's reconcile (spec §5.3): new status (metrics, TTL, domains with EXPIREWAIT) and its Sidecar.
#include <chrono>
#include <optional>

#include "slime/core/module.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/lazyload/fence.h"
#include "slime/modules/lazyload/mesh_view.h"

namespace slime::lazyload {

// `prometheus_result`: the answer to the fence's PromQL query in prometheus mode (null: not known yet, keep
// the recorded metricStatus).
core::ModuleOutput reconcile_fence(const core::Object& fence, const MeshView& view, const FenceConfig& config,
                                   std::chrono::system_clock::time_point now, const core::Json* prometheus_result);

// Drops learned dependencies idle for longer than config.dependency_ttl and stamps new ones with `now_s`
// (no-op without a TTL). Returns true when something changed.
bool apply_dependency_ttl(FenceStatus& status, const FenceConfig& config, int64_t now_s);

}  // namespace slime::lazyload

#pragma once
// The other modules' state as /api/v1/modules shows it, read from the cached objects' specs and the
// statuses the modules wrote: SmartLimiters (their sets with the quota the limiter evaluated and the
// condition it evaluates), PluginManagers (their plugins, in order) and CanaryReleases (phase, weight,
// conditions). Each list is capped at `max_items` per kind, `truncated` says so.
#include <cstddef>
#include <string>
#include <vector>

#include "slime/core/json.h"
#include "slime/core/snapshot.h"

namespace slime::graph {

core::Json modules_summary(const core::Snapshot& snapshot, const std::string& ns = {}, size_t max_items = 500);

// The kinds modules_summary reads.
std::vector<core::GroupKind> modules_kinds();

}  // namespace slime::graph

#pragma once
// The global sidecar of a lazyload SlimeBoot (framework spec §C.4, lazyload spec §1.1, §6.1-6.2).
//
// One owner per object: the deployed lazyload module renders the global sidecar's Service, ConfigMap,
// Deployment, RBAC and EnvoyFilters itself (it has to: autoPort keeps changing them). Boot's job is to
// hand it `spec.component.globalSidecar` (and the SlimeBoot-level values the original's chart used) as
// `general.globalSidecar` in the module's config. For previews boot can render the same objects by
// running the lazyload module's own renderer over that config, so the two can never disagree.
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/core/object.h"
#include "slime/modules/boot/slimeboot.h"

namespace slime::boot {

// Adds to a lazyload entry's JSON: `general.globalSidecar` (from the component, or `{enable: false}`
// when the SlimeBoot has none), `global.slimeNamespace` (spec.namespace, where the process runs),
// `general.clusterGsNamespace` (the chart's default, spec.namespace) and `global.istioNamespace`
// (spec.istioNamespace) unless the entry sets them itself.
void add_lazyload_context(const SlimeBootSpec& spec, const ModuleEntry& entry, core::Json& entry_json);

// The global sidecar objects the lazyload module will render from `entry_json` (the adjusted config).
// `problems` receives the lazyload module's own complaints about it.
std::vector<core::Object> preview_global_sidecar(const core::Json& entry_json, const std::string& path,
                                                 std::vector<core::Error>& problems);

}  // namespace slime::boot

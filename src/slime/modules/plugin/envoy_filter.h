#pragma once
// The EnvoyFilter object around a converted spec: same name and namespace as its source, controlled by
// it (ownerReference), labelled with the source's istio.io/rev and the passthrough labels.
#include <optional>

#include "slime/core/object.h"
#include "slime/core/snapshot.h"
#include "slime/modules/plugin/plugin_config.h"

namespace slime::plugin {

core::Object make_envoy_filter(const core::Object& source, core::Json spec, const PluginConfig& config);

// The EnvoyFilter `source` generated earlier (found in `objects` and owned by it), reduced to what we
// write; nullopt when there is none.
std::optional<core::Object> keep_existing_envoy_filter(const core::Snapshot& objects, const core::Object& source);

}  // namespace slime::plugin

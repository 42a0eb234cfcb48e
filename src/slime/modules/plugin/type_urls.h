#pragma once
// The type URL a plugin's settings are wrapped with. A TypedStruct with an empty type_url passes
// istiod but Envoy rejects it (it cannot tell which message the settings are), so a plugin without
// `typeUrl` gets the type of a well-known filter from its name, or is refused with a clear error.
#include <optional>
#include <string>

#include "slime/core/error.h"
#include "slime/modules/plugin/model.h"

namespace slime::plugin {

// The filter's own config type (PluginManager) or its per-route config type (EnvoyPlugin) for the
// Envoy HTTP filters whose types are known here; empty for any other name.
std::string well_known_type_url(const std::string& filter_name, bool per_route);

// `typeUrl` as given, else the well-known one; an error on the plugin's typeUrl field otherwise.
core::Result<std::string> settings_type_url(const Plugin& p, bool per_route);

}  // namespace slime::plugin

#pragma once
// EnvoyPlugin -> EnvoyFilter spec (RDS level): every target (route configurations from `listener`,
// then `host` virtual hosts, then `route` routes) crossed with every enabled plugin gives one MERGE
// patch carrying the plugin's per-filter config, or a direct patch of route/vhost fields.
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/modules/plugin/model.h"
#include "slime/modules/plugin/plugin_config.h"

namespace slime::plugin {

// RouteConfiguration names a listener entry stands for (http.<port>, generic.<proto>.<port>, bind,
// <host>:<port> for sidecars); empty names are dropped.
std::vector<std::string> route_configuration_names(const Listener& l);

Json convert_envoy_plugin(const EnvoyPluginSpec& spec, const std::string& ns, const PluginConfig& config,
                          std::vector<core::Error>& problems);

}  // namespace slime::plugin

#pragma once
// PluginManager -> EnvoyFilter spec (LDS level): each enabled plugin becomes an HTTP (or Dubbo /
// generic proxy) filter inserted before the router, in list order; Wasm and Rider code travel through
// ECDS as an EXTENSION_CONFIG patch.
#include <functional>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/modules/plugin/model.h"
#include "slime/modules/plugin/plugin_config.h"

namespace slime::plugin {

// Returns the docker config JSON of the image pull Secret `name` (in the resource's namespace).
using SecretLookup = std::function<core::Result<std::string>(const std::string& name)>;

// The EnvoyFilter `spec`. Plugins that cannot be converted are reported in `problems` and skipped.
Json convert_plugin_manager(const PluginManagerSpec& spec, const std::string& ns, const PluginConfig& config,
                            const SecretLookup& secrets, std::vector<core::Error>& problems);

}  // namespace slime::plugin

#pragma once
// Pieces both converters share: constants of the generated EnvoyFilters, the TypedStruct wrapper, the
// patch contexts, and the last step every generated patch goes through (extra patch, then rawPatch).
#include <optional>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/modules/plugin/model.h"

namespace slime::plugin {

inline constexpr const char* kTypedStruct = "type.googleapis.com/udpa.type.v1.TypedStruct";
inline constexpr const char* kStringValue = "type.googleapis.com/google.protobuf.StringValue";
inline constexpr const char* kWasmTypeUrl = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
inline constexpr const char* kRiderTypeUrl = "type.googleapis.com/proxy.filters.http.rider.v3alpha1.FilterConfig";
inline constexpr const char* kGenericRouteAction =
    "type.googleapis.com/envoy.extensions.filters.network.generic_proxy.action.v3.RouteAction";
inline constexpr const char* kDubboProxy = "envoy.filters.network.dubbo_proxy";
inline constexpr const char* kDubboRouter = "envoy.filters.dubbo.router";
inline constexpr const char* kGenericRouter = "envoy.filters.generic.router";
inline constexpr const char* kGenericProxyPrefix = "generic-";
inline constexpr const char* kRiderSuffix = ".rider";
inline constexpr const char* kRiderPackagePath = "/usr/local/lib/rider/?/init.lua;/usr/local/lib/rider/?.lua;";
inline constexpr const char* kWasmSecretEnv = "ISTIO_META_WASM_IMAGE_PULL_SECRET";
inline constexpr const char* kRiderEnvKey = "ISTIO_RIDER_ENV";
inline constexpr const char* kWasmRuntimeV8 = "envoy.wasm.runtime.v8";

// {"@type": TypedStruct, type_url, value}; a missing value is written as {}.
Json typed_struct(const std::string& type_url, const std::optional<Json>& value);

// SIDECAR_OUTBOUND / SIDECAR_INBOUND / GATEWAY
const char* patch_context(ListenerType t);

// "<namespace>.<name>": the ECDS resource (and filter) name of a Wasm plugin; rider adds ".rider".
std::string config_discovery_name(const std::string& ns, const Plugin& p);

// Merges `extra` (the protocol-specific applyTo/match) and then the plugin's rawPatch into `patch`.
// A result that is no longer an EnvoyConfigObjectPatch is reported against rawPatch and dropped.
std::optional<Json> finish_patch(Json patch, const Json* extra, const Plugin& p, std::vector<core::Error>& problems);

}  // namespace slime::plugin

#pragma once
// Group/kinds the plugin module reads and writes, and its reconcile keys ("PluginManager/ns/name").
#include <optional>
#include <string>
#include <string_view>

#include "slime/core/gvk.h"
#include "slime/core/kinds.h"

namespace slime::plugin {

inline const core::GroupKind kPluginManager{"microservice.slime.io", "PluginManager"};
inline const core::GroupKind kEnvoyPlugin{"microservice.slime.io", "EnvoyPlugin"};
inline const core::GroupKind& kEnvoyFilter = core::kEnvoyFilterGk;
inline const core::GroupKind& kSecret = core::kSecretGk;
inline constexpr const char* kEnvoyFilterApiVersion = "networking.istio.io/v1alpha3";
inline constexpr const char* kRevLabel = "istio.io/rev";

std::string make_key(const core::GroupKind& gk, std::string_view ns, std::string_view name);
// The object a key stands for; nullopt for a malformed key or another module's kind.
std::optional<core::ObjectKey> parse_key(std::string_view key);

}  // namespace slime::plugin

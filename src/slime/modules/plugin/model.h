#pragma once
// The user resources of the plugin module (microservice.slime.io/v1alpha1): PluginManager and
// EnvoyPlugin, decoded the way the original's jsonpb decoder reads them (proto and lowerCamel names,
// enums by name or number) and validated, with every problem naming its field path.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"

namespace slime::plugin {

using core::Json;

enum class ListenerType { kOutbound = 0, kInbound = 1, kGateway = 2 };
enum class Protocol { kHttp = 0, kDubbo = 1, kGeneric = 2 };

// `wasm` and `rider` carry the same fields: code fetched by the proxy, plus its settings.
struct CodeSettings {
  std::optional<Json> settings;  // a Struct; absent when not given
  std::string plugin_name;
  std::string url;
  std::string sha256;
  std::string image_pull_secret_name;
  std::string image_pull_secret_content;
};

struct InlineSettings {
  std::optional<Json> settings;
  bool direct_patch = false;
  std::string field_patch_to;
};

enum class SettingsKind { kNone, kWasm, kInline, kRider };

struct Plugin {
  std::string path;  // field path of this item, e.g. spec.plugin[2], for messages
  bool enable = false;
  std::string name;
  ListenerType listener_type = ListenerType::kOutbound;
  std::string type_url;
  SettingsKind kind = SettingsKind::kNone;
  CodeSettings code;      // wasm or rider
  InlineSettings inline_settings;
  uint32_t port = 0;
  std::optional<Json> raw_patch;
  Protocol protocol = Protocol::kHttp;
  std::string generic_app_protocol;
  bool disable_on_filter_level = false;
};

struct PluginManagerSpec {
  std::map<std::string, std::string> workload_labels;
  std::vector<Plugin> plugins;  // only the items that decoded and validated
  int32_t priority = 0;
};

struct Listener {
  uint32_t port = 0;
  std::string port_name;
  std::string bind;
  std::vector<std::string> hosts;
  bool sidecar = false;
};

struct EnvoyPluginSpec {
  std::vector<std::string> route;
  std::vector<std::string> host;
  std::vector<Plugin> plugins;
  std::vector<Listener> listeners;
  std::optional<std::map<std::string, std::string>> workload_selector;  // labels; absent → no selector
  int32_t priority = 0;
};

// Decoding keeps going past a bad item: the result holds the valid parts, `problems` one entry per bad
// field (unknown keys included). A failure (unexpected) means the spec as a whole is unusable.
core::Result<PluginManagerSpec> parse_plugin_manager_spec(const Json& spec, std::vector<core::Error>& problems);
core::Result<EnvoyPluginSpec> parse_envoy_plugin_spec(const Json& spec, std::vector<core::Error>& problems);

// One Plugin item at `path`; shared by both kinds. `for_envoy_plugin` selects the EnvoyPlugin rules
// (a settings oneof is required; PluginManager-only fields are accepted but unused).
core::Result<Plugin> parse_plugin(const Json& item, const std::string& path, bool for_envoy_plugin,
                                  std::vector<core::Error>& problems);

}  // namespace slime::plugin

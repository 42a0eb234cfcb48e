#include "slime/modules/plugin/plugin_manager_convert.h"

#include "slime/modules/plugin/code_source.h"
#include "slime/modules/plugin/patch_common.h"
#include "slime/modules/plugin/type_urls.h"

namespace slime::plugin {
namespace {

Json listener_match(const Plugin& p, const PluginConfig& config) {
  std::string filter, sub_filter;
  switch (p.protocol) {
    case Protocol::kHttp:
      filter = config.names.http_connection_manager;
      sub_filter = config.names.router;
      break;
    case Protocol::kDubbo:
      filter = kDubboProxy;
      sub_filter = kDubboRouter;
      break;
    case Protocol::kGeneric:
      filter = kGenericProxyPrefix + p.generic_app_protocol;
      sub_filter = kGenericRouter;
      break;
  }
  Json listener = {{"filterChain", {{"filter", {{"name", filter}, {"subFilter", {{"name", sub_filter}}}}}}}};
  if (p.port != 0) listener["portNumber"] = p.port;
  return listener;
}

// The docker config JSON for remote code: inline content, or the named Secret. Empty: none.
core::Result<std::string> pull_secret(const CodeSettings& code, const SecretLookup& secrets) {
  if (!code.image_pull_secret_content.empty()) return code.image_pull_secret_content;
  if (code.image_pull_secret_name.empty()) return std::string();
  return secrets(code.image_pull_secret_name);
}

const char* code_key(const Plugin& p) { return p.kind == SettingsKind::kWasm ? "wasm" : "rider"; }

// The value of the EXTENSION_CONFIG patch's TypedStruct: an envoy Wasm message in proto-JSON form, or
// a Rider FilterConfig.
core::Result<Json> extension_config_value(const Plugin& p, const std::string& resource, const SecretLookup& secrets) {
  auto ds = make_data_source(p.code.url, p.code.sha256);
  if (!ds) return std::unexpected(std::move(ds.error()).at_field(p.path + "." + code_key(p) + ".url"));
  std::string secret;
  if (ds->remote) {
    auto s = pull_secret(p.code, secrets);
    if (!s) return std::unexpected(std::move(s.error()).at_field(p.path + "." + code_key(p) + ".imagePullSecretName"));
    secret = std::move(*s);
  }
  if (p.kind == SettingsKind::kWasm) {
    Json vm = {{"runtime", kWasmRuntimeV8}, {"code", std::move(ds->json)}};
    if (!secret.empty()) vm["environmentVariables"] = {{"keyValues", {{kWasmSecretEnv, secret}}}};
    Json config = {{"name", resource},
                   {"vmConfig", std::move(vm)},
                   {"configuration", {{"@type", kStringValue}, {"value", wasm_configuration_string(p.code.settings)}}}};
    if (!p.code.plugin_name.empty()) config["rootId"] = p.code.plugin_name;
    return Json{{"config", std::move(config)}};
  }
  Json plugin = {{"name", p.code.plugin_name},
                 {"vm_config", {{"package_path", kRiderPackagePath}}},
                 {"code", std::move(ds->json)}};
  std::optional<Json> settings = p.code.settings;
  if (!secret.empty()) {
    if (!settings) settings = Json::object();
    Json& env = (*settings)[kRiderEnvKey];
    if (!env.is_object()) env = Json::object();
    env[kWasmSecretEnv] = secret;
  }
  if (settings) plugin["config"] = std::move(*settings);
  return Json{{"plugin", std::move(plugin)}};
}

// Istio puts these in every HTTP chain of a sidecar or gateway. A plugin of that name configures
// Istio's filter: inserting a second one before the router would leave two filters of one name, the
// first of which (Istio's, unconfigured) handles the request first.
bool configures_builtin(const Plugin& p, const PluginConfig& config) {
  return !config.duplicate_builtin_filters && p.protocol == Protocol::kHttp &&
         (p.kind == SettingsKind::kNone || p.kind == SettingsKind::kInline) &&
         (p.name == config.names.fault || p.name == config.names.cors);
}

// MERGE into Istio's filter of that name. Settings travel as the filter's own message (`@type` and
// fields), which istiod merges into its config; a TypedStruct would not merge and be dropped.
core::Result<std::vector<Json>> builtin_filter_patches(const Plugin& p, Json match, Json value) {
  match["listener"]["filterChain"]["filter"]["subFilter"]["name"] = p.name;
  if (p.kind == SettingsKind::kInline && p.inline_settings.settings) {
    auto type_url = settings_type_url(p, false);
    if (!type_url) return std::unexpected(std::move(type_url.error()));
    Json typed = p.inline_settings.settings->is_object() ? *p.inline_settings.settings : Json::object();
    typed["@type"] = *type_url;
    value["typed_config"] = std::move(typed);
  }
  value["name"] = p.name;
  return std::vector<Json>{{{"applyTo", "HTTP_FILTER"},
                            {"match", std::move(match)},
                            {"patch", {{"operation", "MERGE"}, {"value", std::move(value)}}}}};
}

// The patches of one plugin, before rawPatch: [EXTENSION_CONFIG,] filter patch.
core::Result<std::vector<Json>> plugin_patches(const Plugin& p, const std::string& ns, const PluginConfig& config,
                                               const SecretLookup& secrets) {
  Json match = {{"context", patch_context(p.listener_type)}, {"listener", listener_match(p, config)}};
  if (!config.proxy_version.empty()) match["proxy"] = {{"proxyVersion", config.proxy_version}};
  Json value = Json::object();
  if (p.disable_on_filter_level) value["disabled"] = true;

  std::vector<Json> out;
  if (configures_builtin(p, config)) return builtin_filter_patches(p, std::move(match), std::move(value));
  switch (p.kind) {
    case SettingsKind::kNone:
      value["name"] = p.name;
      if (!p.type_url.empty()) value["typed_config"] = typed_struct(p.type_url, std::nullopt);
      break;
    case SettingsKind::kInline: {
      // Dubbo / generic proxy filters (custom Envoy builds) keep the typeUrl as given.
      auto type_url = p.protocol == Protocol::kHttp ? settings_type_url(p, false) : core::Result<std::string>(p.type_url);
      if (!type_url) return std::unexpected(std::move(type_url.error()));
      value["name"] = p.name;
      value["typed_config"] = typed_struct(*type_url, p.inline_settings.settings);
      break;
    }
    case SettingsKind::kWasm:
    case SettingsKind::kRider: {
      const char* type_url = p.kind == SettingsKind::kWasm ? kWasmTypeUrl : kRiderTypeUrl;
      std::string resource = config_discovery_name(ns, p);
      auto ext = extension_config_value(p, resource, secrets);
      if (!ext) return std::unexpected(std::move(ext.error()));
      out.push_back({{"applyTo", "EXTENSION_CONFIG"},
                     {"patch",
                      {{"operation", "ADD"},
                       {"value", {{"name", resource}, {"typed_config", typed_struct(type_url, std::move(*ext))}}}}}});
      Json discovery = {{"config_source", {{"ads", Json::object()}}}, {"type_urls", Json::array({type_url})}};
      if (auto d = config.config_discovery_default_config.find(type_url); d != config.config_discovery_default_config.end())
        discovery["default_config"] = d->second;
      value["name"] = resource;
      value["config_discovery"] = std::move(discovery);
      break;
    }
  }
  out.push_back({{"applyTo", "HTTP_FILTER"},
                 {"match", std::move(match)},
                 {"patch", {{"operation", "INSERT_BEFORE"}, {"value", std::move(value)}}}});
  return out;
}

}  // namespace

Json convert_plugin_manager(const PluginManagerSpec& spec, const std::string& ns, const PluginConfig& config,
                            const SecretLookup& secrets, std::vector<core::Error>& problems) {
  Json out = Json::object();
  Json labels = Json::object();
  for (const auto& [k, v] : spec.workload_labels) labels[k] = v;
  out["workloadSelector"] = labels.empty() ? Json::object() : Json{{"labels", std::move(labels)}};
  if (spec.priority != 0) out["priority"] = spec.priority;

  Json patches = Json::array();
  for (const Plugin& p : spec.plugins) {
    if (!p.enable) continue;
    auto rendered = plugin_patches(p, ns, config, secrets);
    if (!rendered) {
      core::Error e = std::move(rendered.error());
      e.message += "; plugin " + p.name + " is skipped";
      problems.push_back(std::move(e));
      continue;
    }
    // The filter patch of a Dubbo / generic proxy plugin changes its applyTo; the ECDS one keeps it.
    std::optional<Json> extra;
    if (p.protocol == Protocol::kDubbo) extra = Json{{"applyTo", "DUBBO_FILTER"}};
    if (p.protocol == Protocol::kGeneric) extra = Json{{"applyTo", "GENERIC_PROXY_FILTER"}};
    for (size_t i = 0; i < rendered->size(); ++i) {
      bool filter_patch = i + 1 == rendered->size();
      auto done = finish_patch(std::move((*rendered)[i]), filter_patch && extra ? &*extra : nullptr, p, problems);
      if (done) patches.push_back(std::move(*done));
    }
  }
  if (!patches.empty()) out["configPatches"] = std::move(patches);
  return out;
}

}  // namespace slime::plugin

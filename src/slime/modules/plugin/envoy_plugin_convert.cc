#include "slime/modules/plugin/envoy_plugin_convert.h"

#include "slime/modules/plugin/code_source.h"
#include "slime/modules/plugin/patch_common.h"
#include "slime/modules/plugin/type_urls.h"

namespace slime::plugin {
namespace {

enum class TargetKind { kRouteConfiguration, kVirtualHost, kRoute };

struct Target {
  TargetKind kind;
  std::string route_configuration;
  std::string virtual_host;
  std::string route;
  std::string domain;  // matched by vhost.domainName instead of a name (a host given without a port)
};

// generic-<appProtocol>[-suffix] -> appProtocol (a bare "generic" stays "generic").
std::string generic_app_protocol(const std::string& port_name) {
  size_t dash = port_name.find('-');
  std::string rest = dash == std::string::npos ? port_name : port_name.substr(dash + 1);
  size_t next = rest.find('-');
  return next == std::string::npos ? rest : rest.substr(0, next);
}

std::vector<Target> targets_of(const EnvoyPluginSpec& spec) {
  std::vector<Target> out;
  for (const auto& l : spec.listeners)
    for (auto& rc : route_configuration_names(l)) out.push_back({TargetKind::kRouteConfiguration, std::move(rc), {}, {}, {}});
  for (const auto& h : spec.host) out.push_back({TargetKind::kVirtualHost, {}, h, {}, {}});
  for (const auto& full : spec.route) {
    size_t slash = full.find('/');
    if (slash == std::string::npos) out.push_back({TargetKind::kRoute, {}, {}, full, {}});
    else out.push_back({TargetKind::kRoute, {}, full.substr(0, slash), full.substr(slash + 1), {}});
  }
  return out;
}

bool is_direct_patching(const std::string& name, const PluginConfig& config) {
  return name == config.names.ratelimit || name == config.names.cors || name == "envoy.ratelimit";
}

struct PluginInUse {
  std::string filter_name;
  std::optional<Json> settings;
  bool direct_patch = false;
  std::string field_patch_to;
};

PluginInUse plugin_in_use(const Plugin& p, const std::string& ns) {
  PluginInUse u;
  switch (p.kind) {
    case SettingsKind::kWasm:
      u.filter_name = config_discovery_name(ns, p);
      u.settings = Json{{"configuration", {{"@type", kStringValue}, {"value", wasm_configuration_string(p.code.settings)}}}};
      break;
    case SettingsKind::kRider:
      u.filter_name = config_discovery_name(ns, p);
      u.settings = Json{{"plugins", Json::array({{{"config", p.code.settings ? *p.code.settings : Json::object()},
                                                  {"name", p.name}}})}};
      break;
    case SettingsKind::kInline:
    case SettingsKind::kNone:
      u.filter_name = p.name;
      u.settings = p.inline_settings.settings;
      u.direct_patch = p.inline_settings.direct_patch;
      u.field_patch_to = p.inline_settings.field_patch_to;
      break;
  }
  return u;
}

// Inline HTTP settings need a type (given, or a well-known filter's per-route type); Wasm and Rider
// settings and Dubbo / generic proxy plugins (custom Envoy builds) keep the plugin's typeUrl as the
// original does.
core::Result<std::string> per_filter_type_url(const Plugin& p) {
  if (p.kind == SettingsKind::kInline && p.protocol == Protocol::kHttp) return settings_type_url(p, true);
  return p.type_url;
}

// Settings placed under `field` (root when empty or "ROOT"); absent settings give no value.
std::optional<Json> direct_value(const std::optional<Json>& settings, std::string field) {
  if (field == "ROOT") field.clear();
  if (field.empty()) return settings;
  return Json{{field, settings ? *settings : Json::object()}};
}

// The match of a Dubbo / generic proxy patch, which stock Istio's typed match cannot express.
Json non_http_extra(const Target& t, Protocol protocol) {
  Json rc = Json::object();
  if (!t.route_configuration.empty()) rc["name"] = t.route_configuration;
  Json vh = Json::object();
  if (!t.virtual_host.empty()) vh["name"] = t.virtual_host;
  if (!t.route.empty()) vh["route"] = {{"name", t.route}};
  const bool dubbo = protocol == Protocol::kDubbo;
  rc[dubbo ? "routeConfig" : "vhost"] = std::move(vh);
  const char* apply_to;
  switch (t.kind) {
    case TargetKind::kRouteConfiguration:
      apply_to = dubbo ? "DUBBO_ROUTE_CONFIGURATION" : "GENERIC_PROXY_ROUTE_CONFIGURATION";
      break;
    case TargetKind::kVirtualHost:
      apply_to = dubbo ? "DUBBO_SUB_ROUTE_CONFIG" : "GENERIC_PROXY_VIRTUAL_HOST";
      break;
    default:
      apply_to = dubbo ? "DUBBO_ROUTE" : "GENERIC_PROXY_ROUTE";
  }
  return {{"applyTo", apply_to},
          {"match", {{dubbo ? "dubboRouteConfiguration" : "genericProxyRouteConfiguration", std::move(rc)}}}};
}

Json http_match(const Target& t, const char* context, const PluginConfig& config) {
  Json match = Json::object();
  if (context) match["context"] = context;
  if (!config.proxy_version.empty()) match["proxy"] = {{"proxyVersion", config.proxy_version}};
  Json rc = Json::object();
  if (!t.route_configuration.empty()) rc["name"] = t.route_configuration;
  if (!t.virtual_host.empty() || !t.domain.empty() || !t.route.empty()) {
    Json vh = Json::object();
    if (!t.virtual_host.empty()) vh["name"] = t.virtual_host;
    if (!t.domain.empty()) vh["domainName"] = t.domain;
    if (!t.route.empty()) vh["route"] = {{"name", t.route}};
    rc["vhost"] = std::move(vh);
  }
  match["routeConfiguration"] = std::move(rc);
  return match;
}

const char* http_apply_to(TargetKind k) {
  switch (k) {
    case TargetKind::kRouteConfiguration:
      return "ROUTE_CONFIGURATION";
    case TargetKind::kVirtualHost:
      return "VIRTUAL_HOST";
    case TargetKind::kRoute:
      break;
  }
  return "HTTP_ROUTE";
}

}  // namespace

std::vector<std::string> route_configuration_names(const Listener& l) {
  std::vector<std::string> out;
  if (l.port == 0) {  // a unix-domain-socket listener is named by its bind address
    if (!l.bind.empty()) out.push_back(l.bind);
    return out;
  }
  std::string port = std::to_string(l.port);
  if (l.sidecar) {
    for (const auto& h : l.hosts)
      if (!h.empty()) out.push_back(h + ":" + port);
    if (out.empty()) out.push_back(port);
    return out;
  }
  std::string name;
  auto add = [&](const std::string& part) { name += (name.empty() ? "" : ".") + part; };
  if (l.port_name.rfind("http", 0) == 0) {
    add("http");
    add(port);
  } else if (l.port_name.rfind("generic", 0) == 0) {
    add("generic");
    add(generic_app_protocol(l.port_name));
    add(port);
  }
  if (!l.bind.empty()) add(l.bind);
  if (!name.empty()) out.push_back(std::move(name));
  return out;
}

Json convert_envoy_plugin(const EnvoyPluginSpec& spec, const std::string& ns, const PluginConfig& config,
                          std::vector<core::Error>& problems) {
  Json out = Json::object();
  if (spec.workload_selector) {
    Json labels = Json::object();
    for (const auto& [k, v] : *spec.workload_selector) labels[k] = v;
    out["workloadSelector"] = labels.empty() ? Json::object() : Json{{"labels", std::move(labels)}};
  }
  if (spec.priority != 0) out["priority"] = spec.priority;

  std::vector<PluginInUse> in_use;
  in_use.reserve(spec.plugins.size());
  for (const auto& p : spec.plugins) in_use.push_back(plugin_in_use(p, ns));

  Json patches = Json::array();
  std::vector<bool> reported(spec.plugins.size(), false);
  for (const Target& target : targets_of(spec)) {
    for (size_t i = 0; i < spec.plugins.size(); ++i) {
      const Plugin& p = spec.plugins[i];
      if (!p.enable) continue;
      if (p.protocol == Protocol::kDubbo && target.kind == TargetKind::kVirtualHost) continue;  // no vhost level
      const PluginInUse& u = in_use[i];

      // Virtual hosts named inbound|... keep the ANY context (the original's backward compatibility).
      const char* context = target.virtual_host.rfind("inbound|", 0) == 0 ? nullptr : patch_context(p.listener_type);
      Target t = target;  // per plugin: the host rewrite must not leak to the next plugin (quirk fixed)
      if (context && p.listener_type != ListenerType::kInbound && !t.virtual_host.empty() &&
          t.virtual_host.find(':') == std::string::npos) {
        // A host without a port means all its ports. istiod names virtual hosts HOST:PORT and compares
        // names exactly, so the original's HOST:* never applies; every one of them lists HOST itself
        // among its domains, which vhost.domainName matches (on every port, for Services and
        // ServiceEntries alike). Dubbo / generic proxy matches keep the original's form.
        if (config.host_match_by_vhost_name || p.protocol != Protocol::kHttp) {
          t.virtual_host += ":*";
        } else {
          t.domain = std::move(t.virtual_host);
          t.virtual_host.clear();
        }
      }

      std::optional<Json> value;
      if (is_direct_patching(u.filter_name, config)) {
        if (t.kind == TargetKind::kRouteConfiguration) {
          // The original wraps the settings in `route`, a field a RouteConfiguration does not have, so
          // Istio would reject the whole EnvoyFilter. Skip this patch and say why.
          if (!reported[i]) {
            core::Error e;
            e.field = p.path + ".name";
            e.message = "direct patching " + u.filter_name +
                        " settings into a route configuration (spec.listener) is not possible; use host or route "
                        "targets. These patches are skipped";
            problems.push_back(std::move(e));
            reported[i] = true;
          }
          continue;
        }
        value = direct_value(u.settings, t.kind == TargetKind::kVirtualHost ? "" : "route");
      } else if (u.direct_patch) {
        value = direct_value(u.settings, u.field_patch_to);
      } else if (auto type_url = per_filter_type_url(p); !type_url) {
        if (!reported[i]) {
          type_url.error().message += "; plugin " + p.name + " is skipped";
          problems.push_back(std::move(type_url.error()));
        }
        reported[i] = true;
        continue;
      } else if (p.protocol == Protocol::kGeneric) {
        value = Json{{"onMatch",
                      {{"action",
                        {{"typedConfig",
                          {{"@type", kGenericRouteAction},
                           {"perFilterConfig", {{u.filter_name, typed_struct(*type_url, u.settings)}}}}}}}}}};
      } else {
        value = Json{{"typedPerFilterConfig", {{u.filter_name, typed_struct(*type_url, u.settings)}}}};
      }

      Json patch = {{"patch", {{"operation", "MERGE"}}}};
      if (value) patch["patch"]["value"] = std::move(*value);
      std::optional<Json> extra;
      if (p.protocol == Protocol::kHttp) {
        patch["applyTo"] = http_apply_to(t.kind);
        patch["match"] = http_match(t, context, config);
      } else {
        extra = non_http_extra(t, p.protocol);
      }
      auto done = finish_patch(std::move(patch), extra ? &*extra : nullptr, p, problems);
      if (done) patches.push_back(std::move(*done));
    }
  }
  if (!patches.empty()) out["configPatches"] = std::move(patches);
  return out;
}

}  // namespace slime::plugin

#include "slime/modules/plugin/model.h"

#include "slime/core/fields.h"

namespace slime::plugin {
namespace {

using core::Error;
using core::fail;
using core::FieldReader;
using core::Result;

constexpr int64_t kMaxPort = 65535;

// Appends the reader's unknown keys to `problems`, with a hint for the plural/singular mix-up the
// original's own README makes (`plugin` in a PluginManager, `plugins` in an EnvoyPlugin).
void report_unknown(const FieldReader& r, std::vector<Error>& problems, std::string_view expected_list_key = {}) {
  for (auto& e : r.unknown_fields()) {
    if (!expected_list_key.empty() && (e.field == r.child("plugin") || e.field == r.child("plugins")))
      e.message += "; the plugin list of this kind is `" + std::string(expected_list_key) + "`";
    problems.push_back(std::move(e));
  }
}

// A google.protobuf.Struct field: any JSON object; null/absent is "not set".
Result<std::optional<Json>> read_struct(FieldReader& r, std::string_view key) {
  const Json* v = r.get(key);
  if (!v) return std::optional<Json>{};
  if (!v->is_object()) return fail(std::string("expected a mapping, got ") + v->type_name(), r.child(key));
  return std::optional<Json>{*v};
}

Result<std::map<std::string, std::string>> read_string_map(FieldReader& r, std::string_view key) {
  std::map<std::string, std::string> out;
  const Json* v = r.get(key);
  if (!v) return out;
  if (!v->is_object()) return fail(std::string("expected a mapping of strings, got ") + v->type_name(), r.child(key));
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it->is_string())
      return fail(std::string("expected a string, got ") + it->type_name(), core::join_path(r.child(key), it.key()));
    out.emplace(it.key(), it->get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>> read_string_list(FieldReader& r, std::string_view key) {
  std::vector<std::string> out;
  const Json* v = r.get(key);
  if (!v) return out;
  if (!v->is_array()) return fail(std::string("expected a list of strings, got ") + v->type_name(), r.child(key));
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& s = (*v)[i];
    if (!s.is_string())
      return fail(std::string("expected a string, got ") + s.type_name(), r.child(key) + "[" + std::to_string(i) + "]");
    out.push_back(s.get<std::string>());
  }
  return out;
}

Result<uint32_t> read_port(FieldReader& r, std::string_view key) {
  auto v = r.integer(key);
  if (!v) return std::unexpected(v.error());
  if (*v < 0 || *v > kMaxPort)
    return fail("expected a port number between 0 and 65535, got " + std::to_string(*v), r.child(key));
  return static_cast<uint32_t>(*v);
}

Result<int32_t> read_int32(FieldReader& r, std::string_view key) {
  auto v = r.integer(key);
  if (!v) return std::unexpected(v.error());
  if (*v < INT32_MIN || *v > INT32_MAX) return fail("expected a 32-bit integer, got " + std::to_string(*v), r.child(key));
  return static_cast<int32_t>(*v);
}

#define PLUGIN_TRY(lhs, expr)                                      \
  do {                                                             \
    auto _r = (expr);                                              \
    if (!_r) return std::unexpected(std::move(_r.error()));        \
    lhs = std::move(*_r);                                          \
  } while (0)

Result<CodeSettings> parse_code(const Json& j, const std::string& path, std::vector<Error>& problems) {
  FieldReader r(j, path);
  if (!r.ok()) return fail(std::string("expected a mapping, got ") + j.type_name(), path);
  CodeSettings c;
  PLUGIN_TRY(c.settings, read_struct(r, "settings"));
  PLUGIN_TRY(c.plugin_name, r.string("pluginName"));
  PLUGIN_TRY(c.url, r.string("url"));
  PLUGIN_TRY(c.sha256, r.string("sha256"));
  PLUGIN_TRY(c.image_pull_secret_name, r.string("imagePullSecretName"));
  PLUGIN_TRY(c.image_pull_secret_content, r.string("imagePullSecretContent"));
  if (!c.image_pull_secret_name.empty() && !c.image_pull_secret_content.empty())
    return fail("at most one of imagePullSecretName and imagePullSecretContent may be set", path);
  report_unknown(r, problems);
  return c;
}

Result<InlineSettings> parse_inline(const Json& j, const std::string& path, std::vector<Error>& problems) {
  FieldReader r(j, path);
  if (!r.ok()) return fail(std::string("expected a mapping, got ") + j.type_name(), path);
  InlineSettings s;
  PLUGIN_TRY(s.settings, read_struct(r, "settings"));
  PLUGIN_TRY(s.direct_patch, r.boolean("directPatch"));
  PLUGIN_TRY(s.field_patch_to, r.string("fieldPatchTo"));
  report_unknown(r, problems);
  return s;
}

Result<Listener> parse_listener(const Json& j, const std::string& path, std::vector<Error>& problems) {
  FieldReader r(j, path);
  if (!r.ok()) return fail(std::string("expected a mapping, got ") + j.type_name(), path);
  Listener l;
  PLUGIN_TRY(l.port, read_port(r, "port"));
  bool outbound = false;  // accepted, unused by the original too
  PLUGIN_TRY(outbound, r.boolean("outbound"));
  (void)outbound;
  PLUGIN_TRY(l.port_name, r.string("portName"));
  PLUGIN_TRY(l.bind, r.string("bind"));
  PLUGIN_TRY(l.hosts, read_string_list(r, "hosts"));
  PLUGIN_TRY(l.sidecar, r.boolean("sidecar"));
  if (l.port == 0 && l.bind.empty())
    return fail("a listener needs a port (or, for a unix-domain-socket listener, a bind address)", r.child("port"));
  report_unknown(r, problems);
  return l;
}

// Runs `parse` on each element of the list at `key`, keeping the ones that decode and reporting the rest.
template <typename T, typename Parse>
Result<std::vector<T>> parse_list(FieldReader& r, std::string_view key, std::vector<Error>& problems, Parse parse) {
  std::vector<T> out;
  const Json* v = r.get(key);
  if (!v) return out;
  if (!v->is_array()) return fail(std::string("expected a list, got ") + v->type_name(), r.child(key));
  out.reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    std::string path = r.child(key) + "[" + std::to_string(i) + "]";
    auto item = parse((*v)[i], path);
    if (item) out.push_back(std::move(*item));
    else problems.push_back(std::move(item.error()));
  }
  return out;
}

}  // namespace

Result<Plugin> parse_plugin(const Json& item, const std::string& path, bool for_envoy_plugin,
                            std::vector<Error>& problems) {
  FieldReader r(item, path);
  if (!r.ok()) return fail(std::string("expected a mapping, got ") + item.type_name(), path);
  Plugin p;
  p.path = path;
  PLUGIN_TRY(p.enable, r.boolean("enable"));
  PLUGIN_TRY(p.name, r.string("name"));
  if (const Json* s = r.get("settings"); s && !(s->is_object() && s->empty())) {
    Error e;
    e.field = r.child("settings");
    e.message = "deprecated and ignored (as by the original); put the settings under inline, wasm or rider";
    problems.push_back(std::move(e));
  }
  int lt = 0;
  PLUGIN_TRY(lt, r.enumeration("listenerType", {"Outbound", "Inbound", "Gateway"}));
  p.listener_type = static_cast<ListenerType>(lt);
  PLUGIN_TRY(p.type_url, r.string("typeUrl"));

  const Json* wasm = r.get("wasm");
  const Json* inl = r.get("inline");
  const Json* rider = r.get("rider");
  if ((wasm != nullptr) + (inl != nullptr) + (rider != nullptr) > 1)
    return fail("at most one of wasm, inline and rider may be set", path);
  if (wasm) {
    p.kind = SettingsKind::kWasm;
    PLUGIN_TRY(p.code, parse_code(*wasm, r.child("wasm"), problems));
  } else if (rider) {
    p.kind = SettingsKind::kRider;
    PLUGIN_TRY(p.code, parse_code(*rider, r.child("rider"), problems));
  } else if (inl) {
    p.kind = SettingsKind::kInline;
    PLUGIN_TRY(p.inline_settings, parse_inline(*inl, r.child("inline"), problems));
  }

  PLUGIN_TRY(p.port, read_port(r, "port"));
  PLUGIN_TRY(p.raw_patch, read_struct(r, "rawPatch"));
  int proto = 0;
  PLUGIN_TRY(proto, r.enumeration("protocol", {"HTTP", "Dubbo", "Generic"}));
  p.protocol = static_cast<Protocol>(proto);
  PLUGIN_TRY(p.generic_app_protocol, r.string("genericAppProtocol"));
  PLUGIN_TRY(p.disable_on_filter_level, r.boolean("disableOnFilterLevel"));
  report_unknown(r, problems);

  // Requirements only matter for what renders: a disabled item is skipped anyway.
  if (!p.enable) return p;
  if (p.name.empty()) return fail("a plugin needs a name (the filter name)", r.child("name"));
  if ((p.kind == SettingsKind::kWasm || p.kind == SettingsKind::kRider) && p.code.url.empty())
    return fail("required: the address of the plugin code (oci://, http(s):// or file://)",
                r.child(p.kind == SettingsKind::kWasm ? "wasm" : "rider") + ".url");
  if (p.protocol == Protocol::kGeneric && p.generic_app_protocol.empty())
    return fail("required when protocol is Generic (the generic proxy's application protocol)",
                r.child("genericAppProtocol"));
  if (for_envoy_plugin && p.kind == SettingsKind::kNone)
    return fail("an EnvoyPlugin plugin needs one of inline, wasm or rider", path);
  return p;
}

Result<PluginManagerSpec> parse_plugin_manager_spec(const Json& spec, std::vector<Error>& problems) {
  FieldReader r(spec, "spec");
  if (!r.ok()) return fail(std::string("expected a mapping, got ") + spec.type_name(), "spec");
  PluginManagerSpec s;
  PLUGIN_TRY(s.workload_labels, read_string_map(r, "workloadLabels"));
  PLUGIN_TRY(s.plugins, parse_list<Plugin>(r, "plugin", problems, [&](const Json& j, const std::string& path) {
               return parse_plugin(j, path, false, problems);
             }));
  std::vector<std::string> gateways;  // accepted, unused (as in the original)
  PLUGIN_TRY(gateways, read_string_list(r, "gateways"));
  PLUGIN_TRY(s.priority, read_int32(r, "priority"));
  report_unknown(r, problems, "plugin");
  return s;
}

Result<EnvoyPluginSpec> parse_envoy_plugin_spec(const Json& spec, std::vector<Error>& problems) {
  FieldReader r(spec, "spec");
  if (!r.ok()) return fail(std::string("expected a mapping, got ") + spec.type_name(), "spec");
  EnvoyPluginSpec s;
  PLUGIN_TRY(s.route, read_string_list(r, "route"));
  for (size_t i = 0; i < s.route.size(); ++i) {
    const std::string& t = s.route[i];
    if (t.empty() || t == "/") {
      Error e;
      e.field = r.child("route") + "[" + std::to_string(i) + "]";
      e.message = "expected \"<virtual host>/<route>\" (or a bare route name), got \"" + t + "\"";
      problems.push_back(std::move(e));
    }
  }
  std::erase_if(s.route, [](const std::string& t) { return t.empty() || t == "/"; });
  PLUGIN_TRY(s.host, read_string_list(r, "host"));
  for (size_t i = 0; i < s.host.size(); ++i) {
    if (!s.host[i].empty()) continue;
    Error e;
    e.field = r.child("host") + "[" + std::to_string(i) + "]";
    e.message = "expected a virtual host name, got an empty string";
    problems.push_back(std::move(e));
  }
  std::erase_if(s.host, [](const std::string& h) { return h.empty(); });
  std::vector<std::string> unused;  // service, gateway, user: accepted, unused (as in the original)
  PLUGIN_TRY(unused, read_string_list(r, "service"));
  PLUGIN_TRY(s.plugins, parse_list<Plugin>(r, "plugins", problems, [&](const Json& j, const std::string& path) {
               return parse_plugin(j, path, true, problems);
             }));
  PLUGIN_TRY(unused, read_string_list(r, "gateway"));
  PLUGIN_TRY(unused, read_string_list(r, "user"));
  bool group = false;
  PLUGIN_TRY(group, r.boolean("isGroupSetting"));
  (void)group;
  PLUGIN_TRY(s.listeners, parse_list<Listener>(r, "listener", problems, [&](const Json& j, const std::string& path) {
               return parse_listener(j, path, problems);
             }));
  if (const Json* ws = r.get("workloadSelector")) {
    FieldReader w(*ws, r.child("workloadSelector"));
    if (!w.ok()) return fail(std::string("expected a mapping, got ") + ws->type_name(), w.path());
    std::map<std::string, std::string> labels;
    PLUGIN_TRY(labels, read_string_map(w, "labels"));
    s.workload_selector = std::move(labels);
    report_unknown(w, problems);
  }
  PLUGIN_TRY(s.priority, read_int32(r, "priority"));
  report_unknown(r, problems, "plugins");
  return s;
}

}  // namespace slime::plugin

#include "slime/modules/boot/global_sidecar.h"

#include "slime/core/config.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/lazyload/global_sidecar.h"
#include "slime/modules/lazyload/ports.h"

namespace slime::boot {

using core::Json;

namespace {

const Json* find_path(const Json& j, std::initializer_list<const char*> keys) {
  const Json* cur = &j;
  for (const char* k : keys) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string string_at(const Json& j, std::initializer_list<const char*> keys) {
  const Json* v = find_path(j, keys);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// A global setting as the lazyload process will see it: the entry's own, else that of a bundle that
// runs it (bundle items inherit the bundle's global).
std::string effective_global(const SlimeBootSpec& spec, const ModuleEntry& entry, const char* key) {
  if (auto v = string_at(entry.raw, {"global", key}); !v.empty()) return v;
  for (const auto& b : spec.modules)
    for (const auto& [item, kind] : b.config.bundle)
      if (item == entry.config.name)
        if (auto v = string_at(b.raw, {"global", key}); !v.empty()) return v;
  return {};
}

Json component_for_lazyload(const SlimeBootSpec& spec) {
  const auto& gs = spec.global_sidecar;
  if (!gs.present || !gs.enable) return Json{{"enable", false}};
  Json out = gs.raw;
  // The lazyload module always pulls the global sidecar with Always, as the original chart does.
  if (auto it = out.find("image"); it != out.end() && it->is_object()) {
    it->erase("pullPolicy");
    it->erase("pull_policy");
  }
  if (!spec.image_pull_secrets.is_null() && !out.contains("imagePullSecrets"))
    out["imagePullSecrets"] = spec.image_pull_secrets;
  out["logSourcePort"] = spec.service.log_source_port;
  return out;
}

}  // namespace

void add_lazyload_context(const SlimeBootSpec& spec, const ModuleEntry& entry, Json& entry_json) {
  if (!entry_json.is_object()) return;
  Json& general = entry_json["general"];
  if (!general.is_object()) general = Json::object();
  if (!general.contains("globalSidecar")) general["globalSidecar"] = component_for_lazyload(spec);

  // The process runs in spec.namespace: unless told otherwise, that is its slimeNamespace (the
  // original's docs ask users to keep the two equal by hand).
  std::string slime_ns = effective_global(spec, entry, "slimeNamespace");
  if (slime_ns.empty() && spec.namespace_ != "mesh-operator") {
    Json& global = entry_json["global"];
    if (!global.is_object()) global = Json::object();
    global["slimeNamespace"] = spec.namespace_;
  }
  if (slime_ns.empty()) slime_ns = spec.namespace_;
  // The chart put the cluster-mode global sidecar in spec.namespace; the lazyload module defaults it to
  // global.slimeNamespace. Say it explicitly when the two differ.
  auto gs_ns = general.find("clusterGsNamespace");
  bool gs_ns_set = gs_ns != general.end() && gs_ns->is_string() && !gs_ns->get<std::string>().empty();
  if (!gs_ns_set && spec.namespace_ != slime_ns) general["clusterGsNamespace"] = spec.namespace_;

  // The chart placed `to-global-sidecar` in spec.istioNamespace; the module uses global.istioNamespace.
  if (spec.istio_namespace_given && effective_global(spec, entry, "istioNamespace").empty() &&
      spec.istio_namespace != "istio-system") {
    Json& global = entry_json["global"];
    if (!global.is_object()) global = Json::object();
    global["istioNamespace"] = spec.istio_namespace;
  }
}

std::vector<core::Object> preview_global_sidecar(const Json& entry_json, const std::string& path,
                                                 std::vector<core::Error>& problems) {
  std::vector<core::Error> warnings;
  auto module = core::parse_module_config(entry_json, path, warnings);
  if (!module) {
    problems.push_back(module.error());
    return {};
  }
  auto parsed = lazyload::parse_config(*module);
  if (!parsed) {
    problems.push_back(std::move(parsed.error()).at_field(path + ".general"));
    return {};
  }
  const auto& config = parsed->config;
  if (!config.global_sidecar.enable) return {};
  auto ports = lazyload::gs_service_ports(config.wormhole_port, config.global_sidecar.port, problems);
  return lazyload::render_global_sidecar(config, ports);
}

}  // namespace slime::boot

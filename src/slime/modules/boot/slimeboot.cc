#include "slime/modules/boot/slimeboot.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "slime/core/fields.h"

namespace slime::boot {

using core::FieldReader;
using core::Json;

#define BOOT_TRY(var, expr)                                  \
  do {                                                       \
    auto _r = (expr);                                        \
    if (!_r) return std::unexpected(std::move(_r.error())); \
    var = std::move(*_r);                                    \
  } while (0)

#define BOOT_CHECK(expr)                                     \
  do {                                                       \
    auto _r = (expr);                                        \
    if (!_r) return std::unexpected(std::move(_r.error())); \
  } while (0)

namespace {

void add_unknown(const FieldReader& r, std::vector<core::Error>& warnings) {
  for (auto& w : r.unknown_fields()) warnings.push_back(w);
}

std::string type_of(const Json& j) { return j.type_name(); }

core::Result<void> expect_object(const Json* v, const std::string& path) {
  if (!v || v->is_null() || v->is_object()) return {};
  return core::fail("expected a mapping, got " + type_of(*v), path);
}

core::Result<void> expect_list(const Json* v, const std::string& path) {
  if (!v || v->is_null() || v->is_array()) return {};
  return core::fail("expected a list, got " + type_of(*v), path);
}

// Optional raw Kubernetes value: kept verbatim once its outer shape is right.
core::Result<Json> raw_object(FieldReader& r, std::string_view name) {
  const Json* v = r.get(name);
  BOOT_CHECK(expect_object(v, r.child(name)));
  return v && !v->is_null() ? *v : Json();
}

core::Result<Json> raw_list(FieldReader& r, std::string_view name) {
  const Json* v = r.get(name);
  BOOT_CHECK(expect_list(v, r.child(name)));
  return v && !v->is_null() ? *v : Json();
}

// A list whose items are mappings carrying a non-empty string `name` (volumes, mounts, env vars, secrets).
core::Result<Json> named_list(FieldReader& r, std::string_view name) {
  Json list;
  BOOT_TRY(list, raw_list(r, name));
  if (list.is_null()) return list;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string at = r.child(name) + "[" + std::to_string(i) + "]";
    if (!list[i].is_object()) return core::fail("expected a mapping, got " + type_of(list[i]), at);
    auto n = list[i].find("name");
    if (n == list[i].end() || !n->is_string() || n->get<std::string>().empty())
      return core::fail("expected a non-empty string `name`", at + ".name");
  }
  return list;
}

core::Result<Json> string_map(FieldReader& r, std::string_view name) {
  Json m;
  BOOT_TRY(m, raw_object(r, name));
  if (m.is_null()) return m;
  for (auto it = m.begin(); it != m.end(); ++it)
    if (!it->is_string()) return core::fail("expected a string value, got " + type_of(*it), r.child(name) + "." + it.key());
  return m;
}

core::Result<int64_t> port(FieldReader& r, std::string_view name, int64_t def) {
  int64_t p = 0;
  BOOT_TRY(p, r.integer(name, def));
  if (p == 0) return def;  // proto3 zero value: unset, the chart's default applies
  if (p < 1 || p > 65535) return core::fail("expected a port number 1-65535, got " + std::to_string(p), r.child(name));
  return p;
}

core::Result<std::string> one_of(FieldReader& r, std::string_view name, std::string def,
                                 std::initializer_list<std::string_view> allowed) {
  std::string v;
  BOOT_TRY(v, r.string(name, def));
  if (v.empty()) return def;
  for (auto a : allowed)
    if (v == a) return v;
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  return core::fail("expected one of " + list + ", got '" + v + "'", r.child(name));
}

core::Result<Json> resources(FieldReader& r) {
  const Json* v = r.get("resources");
  std::string path = r.child("resources");
  BOOT_CHECK(expect_object(v, path));
  if (!v || v->is_null()) return Json();
  FieldReader rr(*v, path);
  for (const char* part : {"limits", "requests"}) {
    const Json* m = rr.get(part);
    BOOT_CHECK(expect_object(m, rr.child(part)));
    if (!m || m->is_null()) continue;
    for (auto it = m->begin(); it != m->end(); ++it)
      if (!it->is_string() && !it->is_number())
        return core::fail("expected a quantity such as 200m or 1Gi, got " + type_of(*it), rr.child(part) + "." + it.key());
  }
  BOOT_CHECK(expect_list(rr.get("claims"), rr.child("claims")));
  return *v;
}

core::Result<ImageSpec> image(FieldReader& r, std::vector<core::Error>& warnings) {
  ImageSpec img;
  const Json* v = r.get("image");
  BOOT_CHECK(expect_object(v, r.child("image")));
  if (!v || v->is_null()) return img;
  FieldReader ir(*v, r.child("image"));
  BOOT_TRY(img.repository, ir.string("repository"));
  BOOT_TRY(img.tag, ir.string("tag"));
  BOOT_TRY(img.pull_policy, one_of(ir, "pullPolicy", "", {"Always", "IfNotPresent", "Never"}));
  add_unknown(ir, warnings);
  return img;
}

core::Result<ServiceSpec> service(FieldReader& r, std::vector<core::Error>& warnings) {
  ServiceSpec s;
  const Json* v = r.get("service");
  BOOT_CHECK(expect_object(v, r.child("service")));
  if (!v || v->is_null()) return s;
  FieldReader sr(*v, r.child("service"));
  BOOT_TRY(s.type, one_of(sr, "type", "ClusterIP", {"ClusterIP", "NodePort", "LoadBalancer"}));
  BOOT_TRY(s.port, port(sr, "port", 80));
  BOOT_TRY(s.auxiliary_port, port(sr, "auxiliaryPort", 8081));
  BOOT_TRY(s.log_source_port, port(sr, "logSourcePort", 8082));
  BOOT_TRY(s.mcp_over_xds_port, port(sr, "mcpOverXdsPort", 16010));
  add_unknown(sr, warnings);
  return s;
}

core::Result<GlobalSidecarSpec> global_sidecar(FieldReader& r, std::vector<core::Error>& warnings) {
  GlobalSidecarSpec gs;
  const Json* comp = r.get("component");
  BOOT_CHECK(expect_object(comp, r.child("component")));
  if (!comp || comp->is_null()) return gs;
  FieldReader cr(*comp, r.child("component"));
  const Json* v = cr.get("globalSidecar");
  BOOT_CHECK(expect_object(v, cr.child("globalSidecar")));
  add_unknown(cr, warnings);
  if (!v || v->is_null()) return gs;
  gs.present = true;
  gs.raw = *v;
  FieldReader g(*v, cr.child("globalSidecar"));
  BOOT_TRY(gs.enable, g.boolean("enable"));
  int64_t n = 0;
  BOOT_TRY(n, port(g, "port", 80));
  BOOT_TRY(n, port(g, "probePort", 18181));
  BOOT_TRY(n, g.integer("replicas", 1));
  if (n < 0) return core::fail("expected a replica count >= 0, got " + std::to_string(n), g.child("replicas"));
  ImageSpec ignored;
  BOOT_TRY(ignored, image(g, warnings));
  if (const Json* inj = g.get("sidecarInject")) {
    BOOT_CHECK(expect_object(inj, g.child("sidecarInject")));
    if (inj->is_object()) {
      FieldReader ir(*inj, g.child("sidecarInject"));
      BOOT_CHECK(ir.boolean("enable"));
      std::string mode;
      BOOT_TRY(mode, one_of(ir, "mode", "", {"pod", "namespace"}));
      Json m;
      BOOT_TRY(m, string_map(ir, "labels"));
      BOOT_TRY(m, string_map(ir, "annotations"));
      add_unknown(ir, warnings);
    }
  }
  Json ignored_json;
  BOOT_TRY(ignored_json, resources(g));
  BOOT_TRY(ignored_json, raw_object(g, "affinity"));
  BOOT_TRY(ignored_json, raw_list(g, "tolerations"));
  BOOT_CHECK(g.boolean("legacyFilterName"));
  add_unknown(g, warnings);
  return gs;
}

bool is_config_map_key(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

core::Result<std::vector<ModuleEntry>> modules(FieldReader& r, std::vector<core::Error>& warnings) {
  std::vector<ModuleEntry> out;
  const Json* list = r.get("module");
  BOOT_CHECK(expect_list(list, r.child("module")));
  if (!list || list->is_null()) return out;
  std::set<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    ModuleEntry e;
    e.path = r.child("module") + "[" + std::to_string(i) + "]";
    e.raw = (*list)[i];
    BOOT_TRY(e.config, core::parse_module_config(e.raw, e.path, warnings));
    const std::string& name = e.config.name;
    if (name.empty())
      return core::fail("a module entry needs a `name`: it names the ConfigMap, Deployment and Service", e.path + ".name");
    // Rendered entries name Kubernetes objects; the rest only name ConfigMap keys (cfg_<name>).
    if (e.rendered() && !is_dns_label(name))
      return core::fail("expected a DNS label (lower-case letters, digits and '-', at most 63), got '" + name + "'",
                        e.path + ".name");
    if (!is_config_map_key(name))
      return core::fail("expected letters, digits, '-', '_' or '.', got '" + name + "'", e.path + ".name");
    if (!names.insert(name).second)
      return core::fail("duplicate module name '" + name + "'", e.path + ".name");
    if (e.rendered() && e.is_lazyload() && e.config.global.misc_value("enableLeaderElection") == "on" &&
        !is_dns_label(name + "-leader"))
      return core::fail("too long for the '" + name + "-leader' Service (at most 56 characters)", e.path + ".name");
    out.push_back(std::move(e));
  }
  // Bundles may only name plain entries of this SlimeBoot (their config files sit next to the bundle's).
  for (const auto& e : out) {
    for (size_t j = 0; j < e.config.bundle.size(); ++j) {
      const auto& [item, item_kind] = e.config.bundle[j];
      std::string at = e.path + ".bundle.modules[" + std::to_string(j) + "].name";
      auto it = std::find_if(out.begin(), out.end(), [&](const ModuleEntry& m) { return m.config.name == item; });
      if (it == out.end()) return core::fail("bundle item '" + item + "' has no module entry with that name", at);
      if (it->is_bundle()) return core::fail("bundle item '" + item + "' is itself a bundle", at);
      // The bundle's `kind` stands in for an item that names none, as the bundle process reads it.
      if (it->config.kind.empty()) it->config.kind = item_kind;
    }
  }
  return out;
}

}  // namespace

bool is_dns_label(const std::string& s, size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return s.front() != '-' && s.back() != '-';
}

core::Result<ParsedSlimeBoot> parse_slimeboot_spec(const Json& spec_json) {
  ParsedSlimeBoot out;
  SlimeBootSpec& s = out.spec;
  auto& w = out.warnings;
  if (!spec_json.is_null() && !spec_json.is_object())
    return core::fail("expected a mapping, got " + type_of(spec_json), "spec");
  FieldReader r(spec_json, "spec");

  BOOT_TRY(s.modules, modules(r, w));
  BOOT_TRY(s.global_sidecar, global_sidecar(r, w));
  BOOT_TRY(s.namespace_, r.string("namespace", "mesh-operator"));
  if (s.namespace_.empty()) s.namespace_ = "mesh-operator";
  if (!is_dns_label(s.namespace_))
    return core::fail("expected a namespace name (DNS label), got '" + s.namespace_ + "'", "spec.namespace");
  BOOT_TRY(s.istio_namespace, r.string("istioNamespace"));
  s.istio_namespace_given = !s.istio_namespace.empty();
  if (s.istio_namespace.empty()) s.istio_namespace = "istio-system";
  if (!is_dns_label(s.istio_namespace))
    return core::fail("expected a namespace name (DNS label), got '" + s.istio_namespace + "'", "spec.istioNamespace");
  BOOT_TRY(s.image, image(r, w));
  BOOT_TRY(s.replica_count, r.integer("replicaCount", 1));
  if (s.replica_count < 0)
    return core::fail("expected a replica count >= 0, got " + std::to_string(s.replica_count), "spec.replicaCount");
  BOOT_TRY(s.service, service(r, w));
  BOOT_TRY(s.resources, resources(r));
  BOOT_TRY(s.image_pull_secrets, named_list(r, "imagePullSecrets"));
  BOOT_TRY(s.node_selector, string_map(r, "nodeSelector"));
  BOOT_TRY(s.pod_security_context, raw_object(r, "podSecurityContext"));
  BOOT_TRY(s.container_security_context, raw_object(r, "containerSecurityContext"));
  BOOT_TRY(s.tolerations, raw_list(r, "tolerations"));
  BOOT_TRY(s.affinity, raw_object(r, "affinity"));
  BOOT_TRY(s.volumes, named_list(r, "volumes"));
  BOOT_TRY(s.volume_mounts, named_list(r, "volumeMounts"));
  BOOT_TRY(s.pod_annotations, string_map(r, "podAnnotations"));
  if (const Json* sa = r.get("serviceAccount")) {
    BOOT_CHECK(expect_object(sa, "spec.serviceAccount"));
    if (sa->is_object()) {
      FieldReader sr(*sa, "spec.serviceAccount");
      BOOT_TRY(s.service_account_create, sr.boolean("create", true));
      add_unknown(sr, w);
    }
  }
  if (const Json* args = r.get("args"); args && !args->is_null()) {
    if (!args->is_array()) return core::fail("expected a list of strings, got " + type_of(*args), "spec.args");
    for (size_t i = 0; i < args->size(); ++i) {
      if (!(*args)[i].is_string())
        return core::fail("expected a string, got " + type_of((*args)[i]), "spec.args[" + std::to_string(i) + "]");
      s.args.push_back((*args)[i].get<std::string>());
    }
  }
  BOOT_TRY(s.env, named_list(r, "env"));
  Json autoscaling;  // allowed by the original's CRD, never used by its chart
  BOOT_TRY(autoscaling, raw_object(r, "autoscaling"));
  add_unknown(r, w);
  return out;
}

}  // namespace slime::boot

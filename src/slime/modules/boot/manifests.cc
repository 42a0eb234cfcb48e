#include "slime/modules/boot/manifests.h"

#include <algorithm>
#include <set>

#include "slime/modules/boot/global_sidecar.h"
#include "slime/modules/boot/names.h"
#include "slime/modules/boot/rbac.h"

namespace slime::boot {

using core::Json;
using core::Object;

namespace {

constexpr const char* kConfigDir = "/etc/slime/config";

Json field_ref_env(const char* name, const char* path) {
  return {{"name", name}, {"valueFrom", {{"fieldRef", {{"apiVersion", "v1"}, {"fieldPath", path}}}}}};
}

Json default_resources() {
  return {{"limits", {{"cpu", "1"}, {"memory", "1Gi"}}}, {"requests", {{"cpu", "200m"}, {"memory", "200Mi"}}}};
}

// The process-level settings of a Deployment come from the rendered entry (for a bundle, the bundle
// entry, as in the original).
bool leader_election(const ModuleEntry& e) { return e.config.global.misc_value("enableLeaderElection") == "on"; }

struct ContainerImage {
  std::string reference;
  std::string pull_policy;
};

ContainerImage pick_image(const SlimeBootSpec& spec, const BootOptions& options, std::vector<std::string>& notes) {
  const ImageSpec& img = spec.image;
  if (!img.repository.empty() && !is_original_go_image(img.repository))
    return {img.reference(), img.pull_policy.empty() ? "Always" : img.pull_policy};
  if (!img.repository.empty())
    notes.push_back("spec.image " + img.reference() + " is an image of the original Go Slime; running " +
                    options.image.reference() + " instead");
  // The SlimeBoot's pullPolicy was chosen for its own image; ours comes with its own policy.
  return {options.image.reference(), options.image.pull_policy};
}

Object config_map(const SlimeBootSpec& spec, const ModuleEntry& e) {
  Object cm("v1", "ConfigMap", spec.namespace_, e.config.name);
  Json data = {{"cfg", entry_config(spec, e).dump()}};
  // A bundle's items read cfg_<name> next to cfg; like the chart, every plain entry is included (enabled
  // or not), so the bundle process decides from each file's `enable`.
  if (e.is_bundle())
    for (const auto& m : spec.modules)
      if (!m.is_bundle()) data["cfg_" + m.config.name] = entry_config(spec, m).dump();
  cm.json()["data"] = std::move(data);
  return cm;
}

Json container_ports(const ServiceSpec& s) {
  return Json::array({Json{{"name", "http"}, {"containerPort", 80}, {"protocol", "TCP"}},
                      Json{{"name", "aux-port"}, {"containerPort", s.auxiliary_port}, {"protocol", "TCP"}},
                      Json{{"name", "log-source-port"}, {"containerPort", s.log_source_port}, {"protocol", "TCP"}},
                      Json{{"name", "mcp-over-xds"}, {"containerPort", s.mcp_over_xds_port}, {"protocol", "TCP"}}});
}

Json probe(const char* path, int failure_threshold) {
  return {{"httpGet", {{"path", path}, {"port", "aux-port"}, {"scheme", "HTTP"}}},
          {"initialDelaySeconds", 3},
          {"periodSeconds", 5},
          {"failureThreshold", failure_threshold}};
}

Object deployment(const SlimeBootSpec& spec, const ModuleEntry& e, const ContainerImage& image,
                  const BootOptions& options) {
  const std::string& name = e.config.name;
  Object d("apps/v1", "Deployment", spec.namespace_, name);
  d.set_label("app", name);

  Json command = Json::array({options.binary, "run", "--config", std::string(kConfigDir) + "/cfg", "--admin-addr",
                              "0.0.0.0:" + std::to_string(spec.service.auxiliary_port)});
  if (leader_election(e)) {
    // One Lease per Deployment (the original named it after the binary, which clashed between bundles).
    std::string id = name;
    if (!e.config.global.deploy_rev.empty()) id += "-" + e.config.global.deploy_rev;
    command.push_back("--leader-election-id");
    command.push_back(id);
  }
  // POD_NAMESPACE, not WATCH_NAMESPACE: for `slime run` WATCH_NAMESPACE would narrow what it watches.
  Json env = Json::array({field_ref_env("POD_NAME", "metadata.name"), field_ref_env("POD_NAMESPACE", "metadata.namespace")});
  if (spec.env.is_array())
    for (const auto& v : spec.env) env.push_back(v);

  Json mounts = Json::array({Json{{"name", "config-volume"}, {"mountPath", kConfigDir}}});
  if (spec.volume_mounts.is_array())
    for (const auto& m : spec.volume_mounts) mounts.push_back(m);
  Json volumes = Json::array({Json{{"name", "config-volume"}, {"configMap", {{"name", name}, {"defaultMode", 420}}}}});
  if (spec.volumes.is_array())
    for (const auto& v : spec.volumes) volumes.push_back(v);

  Json container = {{"name", "slime"},
                    {"image", image.reference},
                    {"imagePullPolicy", image.pull_policy},
                    {"command", std::move(command)},
                    {"env", std::move(env)},
                    {"ports", container_ports(spec.service)},
                    {"readinessProbe", probe("/readyz", 1)},
                    {"livenessProbe", probe("/healthz", 2)},
                    {"resources", spec.resources.is_null() ? default_resources() : spec.resources},
                    {"volumeMounts", std::move(mounts)}};
  if (!spec.args.empty()) container["args"] = spec.args;
  if (!spec.container_security_context.is_null()) container["securityContext"] = spec.container_security_context;

  Json pod = {{"serviceAccountName", name},
              {"containers", Json::array({std::move(container)})},
              {"volumes", std::move(volumes)}};
  if (!spec.pod_security_context.is_null()) pod["securityContext"] = spec.pod_security_context;
  if (!spec.image_pull_secrets.is_null()) pod["imagePullSecrets"] = spec.image_pull_secrets;
  if (!spec.node_selector.is_null()) pod["nodeSelector"] = spec.node_selector;
  if (!spec.affinity.is_null()) pod["affinity"] = spec.affinity;
  if (!spec.tolerations.is_null()) pod["tolerations"] = spec.tolerations;

  Json pod_meta = {{"labels", {{"app", name}}}};
  if (!spec.pod_annotations.is_null() && !spec.pod_annotations.empty()) pod_meta["annotations"] = spec.pod_annotations;
  d.json()["spec"] = {{"replicas", spec.replica_count},
                      {"selector", {{"matchLabels", {{"app", name}}}}},
                      {"template", {{"metadata", std::move(pod_meta)}, {"spec", std::move(pod)}}}};
  return d;
}

// `name` selects the pods of Deployment `app`; `leader_only` adds the label only the leader carries.
Object service(const SlimeBootSpec& spec, const std::string& name, const std::string& app, bool leader_only) {
  const ServiceSpec& s = spec.service;
  Object svc("v1", "Service", spec.namespace_, name);
  svc.set_label("app", app);
  Json selector = {{"app", app}};
  if (leader_only) selector["slime.io/leader"] = "true";
  // Every target port by name: the original fixed mcp-over-xds's to 16010 whatever the container used.
  svc.json()["spec"] = {
      {"type", s.type},
      {"selector", std::move(selector)},
      {"ports", Json::array({Json{{"name", "http"}, {"port", s.port}, {"targetPort", "http"}, {"protocol", "TCP"}},
                             Json{{"name", "aux-port"}, {"port", s.auxiliary_port}, {"targetPort", "aux-port"}, {"protocol", "TCP"}},
                             Json{{"name", "log-source-port"}, {"port", s.log_source_port}, {"targetPort", "log-source-port"}, {"protocol", "TCP"}},
                             Json{{"name", "mcp-over-xds"}, {"port", s.mcp_over_xds_port}, {"targetPort", "mcp-over-xds"}, {"protocol", "TCP"}}})}};
  return svc;
}

Object service_account(const SlimeBootSpec& spec, const std::string& name) {
  Object sa("v1", "ServiceAccount", spec.namespace_, name);
  sa.set_label("app", name);
  return sa;
}

// One binding per module kind the entry's process runs (a bundle runs several), each to that kind's
// least-privilege ClusterRole "<clusterRole>-<kind>" (rbac.h; deploy/ installs them).
std::vector<Object> cluster_role_bindings(const SlimeBootSpec& spec, const ModuleEntry& entry, const BootOptions& options) {
  const std::string& name = entry.config.name;
  std::set<std::string> kinds;
  if (entry.is_bundle()) {
    for (const auto& [item, item_kind] : entry.config.bundle) {
      auto it = std::find_if(spec.modules.begin(), spec.modules.end(), [&](const ModuleEntry& m) { return m.config.name == item; });
      if (it != spec.modules.end() && it->config.enable) kinds.insert(it->config.effective_kind());
    }
  } else {
    kinds.insert(entry.config.effective_kind());
  }
  // Cluster-scoped: two SlimeBoots installing into different namespaces must not share one binding.
  std::string base = spec.namespace_ == "mesh-operator" ? name : name + "-" + spec.namespace_;
  std::vector<Object> out;
  for (const auto& kind : kinds) {
    Object crb("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", entry.is_bundle() ? base + "-" + kind : base);
    crb.set_label("app", name);
    crb.json()["roleRef"] = {{"apiGroup", "rbac.authorization.k8s.io"},
                             {"kind", "ClusterRole"},
                             {"name", module_role_name(options.cluster_role, kind)}};
    crb.json()["subjects"] =
        Json::array({Json{{"kind", "ServiceAccount"}, {"name", name}, {"namespace", spec.namespace_}}});
    out.push_back(std::move(crb));
  }
  return out;
}

// Mappings merge key by key, anything else in `over` wins: how an item's global overlays its bundle's.
Json overlay(const Json& base, const Json& over) {
  if (!base.is_object() || !over.is_object()) return over.is_null() ? base : over;
  Json out = base;
  for (auto it = over.begin(); it != over.end(); ++it) out[it.key()] = overlay(out.value(it.key(), Json()), *it);
  return out;
}

const ModuleEntry* find_entry(const SlimeBootSpec& spec, const std::string& name) {
  for (const auto& m : spec.modules)
    if (m.config.name == name) return &m;
  return nullptr;
}

}  // namespace

bool is_original_go_image(const std::string& repository) {
  auto slash = repository.rfind('/');
  std::string last = slash == std::string::npos ? repository : repository.substr(slash + 1);
  std::string owner = slash == std::string::npos ? "" : repository.substr(0, slash);
  auto owner_slash = owner.rfind('/');
  owner = owner_slash == std::string::npos ? owner : owner.substr(owner_slash + 1);
  if (owner != "slimeio") return false;
  for (const char* go : {"slime-lazyload", "slime-limiter", "slime-plugin", "slime-meshregistry", "slime-bundle-all",
                         "slime-bundle-hango", "slime-boot", "slime-example"})
    if (last == go) return true;
  return false;
}

Json entry_config(const SlimeBootSpec& spec, const ModuleEntry& entry) {
  Json j = entry.raw;
  if (entry.is_lazyload()) add_lazyload_context(spec, entry, j);
  return j;
}

RenderedSlimeBoot render_slimeboot(const SlimeBootSpec& spec, const BootOptions& options, const std::string& owner) {
  RenderedSlimeBoot out;
  // Tags boot's own objects (not the global sidecar previews, which the lazyload module owns).
  auto own = [&](Object o) {
    if (!owner.empty()) o.set_annotation(kOwnerAnnotation, owner);
    out.objects.push_back(std::move(o));
  };
  ContainerImage image = pick_image(spec, options, out.notes);
  for (const auto& e : spec.modules) {
    if (!e.rendered()) continue;
    const std::string& name = e.config.name;
    own(config_map(spec, e));
    own(deployment(spec, e, image, options));
    for (auto& crb : cluster_role_bindings(spec, e, options)) own(std::move(crb));
    if (spec.service_account_create) own(service_account(spec, name));
    own(service(spec, name, name, false));
    bool le = leader_election(e);
    if (e.is_lazyload() && le) own(service(spec, name + "-leader", name, true));

    // Lazyload's pieces address the process by the lazyload entry's name (the global sidecar sends its
    // access log to `<name>[-leader].<ns>`); inside a bundle that process is the bundle's Deployment.
    for (const auto& [item, kind] : e.config.bundle) {
      const ModuleEntry* m = find_entry(spec, item);
      if (!m || !m->config.enable || !m->is_lazyload() || item == name || m->rendered()) continue;
      own(service(spec, item, name, false));
      if (le && is_dns_label(item + "-leader")) own(service(spec, item + "-leader", name, true));
    }

    // The lazyload module's config is checked here too: a mistake the deployed process would exit on is
    // better reported on the SlimeBoot. Its global sidecar objects are kept only for previews.
    std::vector<core::Error> problems;
    auto lazy = [&](const ModuleEntry& m) {
      Json config = entry_config(spec, m);
      // A bundle item runs with the bundle's global under its own.
      if (&m != &e) config["global"] = overlay(e.raw.value("global", Json::object()), config.value("global", Json::object()));
      auto objects = preview_global_sidecar(config, m.path, problems);
      if (options.render_global_sidecar)
        for (auto& o : objects) out.objects.push_back(std::move(o));
    };
    if (e.is_lazyload() && !e.is_bundle()) lazy(e);
    for (const auto& [item, kind] : e.config.bundle)
      if (const ModuleEntry* m = find_entry(spec, item); m && m->config.enable && m->is_lazyload() && !m->rendered())
        lazy(*m);
    for (auto& p : problems) out.problems.push_back(std::move(p));
  }
  return out;
}

}  // namespace slime::boot

// The lazyload module: ServiceFence -> Sidecar, auto-fence, workload fences and the global sidecar's objects.
//
// Reconcile keys:
//   fence/<ns>/<name>      one per ServiceFence: its status (domains) and its Sidecar
//   autofence/<ns>/<name>  one per Service when autoFence is on: the fence auto-fence wants for it
//   workload/<ns>/<name>   one per workload fence (fenceLabelKeyAlias)
//   global-sidecar         the global sidecar's Service, ConfigMap, Deployment, RBAC and EnvoyFilters
#include <memory>

#include "slime/core/module.h"
#include "slime/core/service_endpoints.h"
#include "slime/modules/lazyload/autofence.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/lazyload/fence_reconcile.h"
#include "slime/modules/lazyload/global_sidecar.h"
#include "slime/modules/lazyload/mesh_view.h"
#include "slime/modules/lazyload/names.h"
#include "slime/modules/lazyload/ports.h"
#include "slime/modules/lazyload/prometheus.h"
#include "slime/modules/lazyload/revision.h"

namespace slime::lazyload {
namespace {

using core::GroupKind;
using core::ModuleOutput;
using core::RenderContext;

std::string key_of(std::string_view prefix, const std::string& ns, const std::string& name) {
  return std::string(prefix) + ns + "/" + name;
}

// "fence/ns/name" -> {ns, name}
bool split_key(std::string_view key, std::string_view prefix, std::string& ns, std::string& name) {
  if (!key.starts_with(prefix)) return false;
  key.remove_prefix(prefix.size());
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return false;
  ns = std::string(key.substr(0, slash));
  name = std::string(key.substr(slash + 1));
  return true;
}

class LazyloadModule final : public core::Module {
 public:
  std::string_view kind() const override { return "lazyload"; }

  std::vector<GroupKind> reads() const override {
    return {kServiceFenceGk, kServiceGk,     kNamespaceGk, kVirtualServiceGk,
            kServiceEntryGk, kPodGk,         kEndpointsGk, core::kEndpointSliceGk, kSidecarGk};
  }
  // Pods only for workload fences (their labels and IP); Namespaces only by their labels, so they are
  // watched as metadata. Services: labels (fence and selector matching), ports (wormhole ports) and the
  // selector (workload labels); Sidecars: labels (revision). Both are written too: the ones Slime
  // wrote are cached whole (packed) for the comparison with what it renders (core/projection.h).
  std::vector<core::KindFields> read_fields() const override {
    bool workload_fences = config_.auto_fence && !config_.fence_label_key.empty();
    // Endpoints: which Service an address belongs to (the learning loop's source), ready or not.
    auto fields = core::endpoint_read_fields(false);
    fields.insert(fields.end(), {{kPodGk, {"metadata.labels", "status.podIP"}, workload_fences},
                                 {kNamespaceGk, {"metadata.labels"}},
                                 // Scanned whole: VirtualServices by every fence reconcile (the host
                                 // map), ServiceEntries by the global sidecar's (auto ports).
                                 {kVirtualServiceGk, {"metadata.labels", "spec.hosts", "spec.http.route.destination.host"}, true, true},
                                 {kServiceEntryGk, {"metadata.labels", "spec"}, true, true},
                                 {kServiceGk, {"metadata.labels", "spec.ports", "spec.selector"}},
                                 // Sidecars: the revision label; the mesh view (graph/) counts egress hosts.
                                 {kSidecarGk, {"metadata.labels", "spec.egress"}}});
    return fields;
  }
  std::vector<GroupKind> writes() const override {
    return {kSidecarGk,    kServiceFenceGk,       kEnvoyFilterGk, kServiceGk,         kConfigMapGk,
            kDeploymentGk, kDestinationRuleGk,    kServiceAccountGk, kRoleGk,        kRoleBindingGk,
            kClusterRoleGk, kClusterRoleBindingGk};
  }

  core::Result<void> configure(const core::ModuleConfig& module) override {
    auto parsed = parse_config(module);
    if (!parsed) return std::unexpected(std::move(parsed.error()));
    config_ = std::move(parsed->config);
    warnings_ = std::move(parsed->warnings);
    return {};
  }
  std::vector<core::Error> config_warnings() const override { return warnings_; }

  std::vector<std::string> keys(const RenderContext& ctx) const override {
    std::vector<std::string> out;
    const auto fences = ctx.objects.list(kServiceFenceGk);
    out.reserve(fences.size() + 1);
    for (const auto* f : fences) out.push_back(key_of(kFenceKeyPrefix, f->ns(), f->name()));
    if (config_.auto_fence) {
      for (const auto* s : ctx.objects.list(kServiceGk)) out.push_back(key_of(kAutoFenceKeyPrefix, s->ns(), s->name()));
      for (const auto& [ns, value] : workload_groups(config_, ctx.objects))
        out.push_back(key_of(kWorkloadKeyPrefix, ns, workload_fence_name(config_, value)));
    }
    if (config_.render_global_sidecar) out.emplace_back(kGlobalSidecarKey);
    return out;
  }

  std::vector<std::string> keys_for(const RenderContext& ctx, const core::Object& changed) const override {
    std::vector<std::string> out;
    const auto gk = changed.gvk().group_kind();
    const std::string ns = changed.ns(), name = changed.name();
    if (gk == kServiceFenceGk) {
      out.push_back(key_of(kFenceKeyPrefix, ns, name));
      if (config_.auto_fence) {
        out.push_back(key_of(kAutoFenceKeyPrefix, ns, name));
        if (!config_.fence_label_key.empty()) out.push_back(key_of(kWorkloadKeyPrefix, ns, name));
      }
    } else if (gk == kSidecarGk) {
      out.push_back(key_of(kFenceKeyPrefix, ns, name));
    } else if (gk == kServiceGk) {
      if (config_.auto_fence) out.push_back(key_of(kAutoFenceKeyPrefix, ns, name));
      // The fence of the same name (fromService selector, auto-fence deletion), and fences whose static
      // dependencies may cover this Service (ns/*, namespaceSelector, labelSelector).
      for (const auto* f : ctx.objects.list(kServiceFenceGk)) {
        if ((f->ns() == ns && f->name() == name) || depends_on_namespace_or_labels(*f, ns))
          out.push_back(key_of(kFenceKeyPrefix, f->ns(), f->name()));
      }
      if (config_.render_global_sidecar) out.emplace_back(kGlobalSidecarKey);
    } else if (gk == kNamespaceGk) {
      if (config_.auto_fence) {
        for (const auto* s : ctx.objects.list(kServiceGk, name)) out.push_back(key_of(kAutoFenceKeyPrefix, name, s->name()));
        for (const auto* f : ctx.objects.list(kServiceFenceGk, name)) {
          out.push_back(key_of(kFenceKeyPrefix, name, f->name()));
          if (!config_.fence_label_key.empty()) out.push_back(key_of(kWorkloadKeyPrefix, name, f->name()));
        }
        for (const auto& [wns, value] : workload_groups(config_, ctx.objects))
          if (wns == name) out.push_back(key_of(kWorkloadKeyPrefix, wns, workload_fence_name(config_, value)));
      }
    } else if (gk == kVirtualServiceGk) {
      for (const auto* f : ctx.objects.list(kServiceFenceGk)) out.push_back(key_of(kFenceKeyPrefix, f->ns(), f->name()));
    } else if (gk == kPodGk) {
      if (config_.auto_fence && !config_.fence_label_key.empty()) {
        auto labels = changed.labels();
        if (auto it = labels.find(config_.fence_label_key); it != labels.end()) {
          std::string fence = workload_fence_name(config_, it->second);
          out.push_back(key_of(kWorkloadKeyPrefix, ns, fence));
          out.push_back(key_of(kFenceKeyPrefix, ns, fence));
        }
      }
    } else if (gk == kServiceEntryGk) {
      if (config_.render_global_sidecar && config_.auto_port) out.emplace_back(kGlobalSidecarKey);
    }
    return out;
  }

  std::vector<core::MetricRequest> metric_requests(const RenderContext& ctx, std::string_view key) const override {
    auto req = prometheus_request(ctx, key);
    if (!req) return {};
    return {*req};
  }

  // Prometheus mode: the original's producer ticks every 10 s (spec §5.9).
  std::chrono::milliseconds metric_refresh() const override { return std::chrono::seconds(10); }

  ModuleOutput reconcile(const RenderContext& ctx, std::string_view key) const override {
    std::string ns, name;
    if (split_key(key, kFenceKeyPrefix, ns, name)) return reconcile_fence_key(ctx, key, ns, name);
    if (split_key(key, kAutoFenceKeyPrefix, ns, name)) return reconcile_autofence(ctx, ns, name);
    if (split_key(key, kWorkloadKeyPrefix, ns, name)) return reconcile_workload(ctx, ns, name);
    if (key == kGlobalSidecarKey) return reconcile_global_sidecar(ctx);
    return {};
  }

 private:
  bool depends_on_namespace_or_labels(const core::Object& fence, const std::string& ns) const {
    const core::Json& spec = fence.spec();
    if (!spec.is_object()) return false;
    if (auto ls = spec.find("labelSelector"); ls != spec.end() && ls->is_array() && !ls->empty()) return true;
    if (auto h = spec.find("host"); h != spec.end() && h->is_object() && h->contains(ns + "/*")) return true;
    if (auto s = spec.find("namespaceSelector"); s != spec.end() && s->is_array())
      for (const auto& n : *s)
        if (n.is_string() && n.get<std::string>() == ns) return true;
    return false;
  }

  std::optional<core::MetricRequest> prometheus_request(const RenderContext& ctx, std::string_view key) const {
    if (config_.metric_source != MetricSource::kPrometheus || config_.prometheus_queries.size() != 1) return std::nullopt;
    std::string ns, name;
    if (!split_key(key, kFenceKeyPrefix, ns, name)) return std::nullopt;
    const core::Object* fence = ctx.objects.get({kServiceFenceGk, ns, name});
    if (!fence || !fence->spec().is_object()) return std::nullopt;
    auto enable = fence->spec().find("enable");
    if (enable == fence->spec().end() || !enable->is_boolean() || !enable->get<bool>()) return std::nullopt;
    return core::MetricRequest{"prometheus", prometheus_query(config_.prometheus_queries.begin()->second, ns, name)};
  }

  ModuleOutput reconcile_fence_key(const RenderContext& ctx, std::string_view key, const std::string& ns,
                                   const std::string& name) const {
    const core::Object* fence = ctx.objects.get({kServiceFenceGk, ns, name});
    if (!fence) return {};
    if (!rev_in_scope(config_.global, fence->label(kRevLabel))) return {};
    if (owned_fence_is_obsolete(config_, ctx.objects, *fence)) return {};  // auto-fence removes it
    const core::Json* prom = nullptr;
    if (auto req = prometheus_request(ctx, key)) prom = ctx.metrics.get(*req);
    MeshView view(ctx.objects, config_);
    return reconcile_fence(*fence, view, config_, ctx.now, prom);
  }

  ModuleOutput reconcile_autofence(const RenderContext& ctx, const std::string& ns, const std::string& name) const {
    ModuleOutput out;
    if (!config_.auto_fence) return out;
    if (decide_service_fence(config_, ctx.objects, ns, name) != AutoFenceVerdict::kWant) return out;
    const core::Object* existing = ctx.objects.get({kServiceFenceGk, ns, name});
    out.objects.push_back(desired_service_fence(config_, existing, ns, name));
    return out;
  }

  ModuleOutput reconcile_workload(const RenderContext& ctx, const std::string& ns, const std::string& name) const {
    ModuleOutput out;
    auto value = workload_label_value(config_, ctx.objects, ns, name);
    if (!value) return out;
    const core::Object* existing = ctx.objects.get({kServiceFenceGk, ns, name});
    if (existing && (!is_controller_created(*existing) || !rev_in_scope(config_.global, existing->label(kRevLabel))))
      return out;  // a manual fence, or one another revision manages
    out.objects.push_back(desired_workload_fence(config_, existing, ns, *value));
    return out;
  }

  ModuleOutput reconcile_global_sidecar(const RenderContext& ctx) const {
    ModuleOutput out;
    if (!config_.render_global_sidecar) return out;
    auto ports = gs_service_ports(wormhole_ports(config_, ctx.objects), config_.global_sidecar.port, out.problems);
    for (auto& p : out.problems) p.field = core::join_path("lazyload general", p.field);
    out.objects = render_global_sidecar(config_, ports);
    return out;
  }

  FenceConfig config_;
  std::vector<core::Error> warnings_;
};

}  // namespace

std::unique_ptr<core::Module> make_module() { return std::make_unique<LazyloadModule>(); }

}  // namespace slime::lazyload

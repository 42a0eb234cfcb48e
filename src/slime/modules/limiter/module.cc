// The limiter module: SmartLimiter -> rate-limit EnvoyFilters (one per set) and, for global descriptors,
// the envoyproxy/ratelimit ConfigMap. Reconcile keys: one per SmartLimiter ("SmartLimiter/<ns>/<name>"),
// plus the ConfigMap singleton ("ratelimit-config") that is rendered from all limiters at once.
#include <memory>
#include <set>

#include "slime/core/kinds.h"
#include "slime/core/module.h"
#include "slime/core/service_endpoints.h"
#include "slime/core/yaml.h"
#include "slime/modules/limiter/config.h"
#include "slime/modules/limiter/envoy_filter.h"
#include "slime/modules/limiter/evaluate.h"
#include "slime/modules/limiter/rls_config.h"
#include "slime/modules/limiter/status.h"
#include "slime/modules/limiter/workload.h"

namespace slime::limiter {
namespace {

using core::GroupKind;
using core::Json;
using core::Object;

const GroupKind kSmartLimiter{kGroup, kKind};
using core::kConfigMapGk;
using core::kEnvoyFilterGk;
constexpr std::string_view kLimiterKeyPrefix = "SmartLimiter/";
constexpr const char* kRlsKey = "ratelimit-config";
constexpr const char* kRlsDataKey = "config.yaml";
// The (key, value) pairs of the customKey descriptors Slime put into the RLS ConfigMap, as a JSON list of
// [key, value]. Their values carry no owner ("Service[name.ns]-Id[n]"), so without this record they
// would read back as a user's entries: kept, and rendered once more beside themselves on every reconcile
// (`slime render` never reached a fixed point; `slime run` grew the ConfigMap without end), and never
// removed with their limiter.
constexpr const char* kCustomEntriesAnnotation = "slime.io/rls-custom-descriptors";

using KeyValue = std::pair<std::string, std::string>;

KeyValue key_value(const Json& entry) {
  auto str = [&](const char* k) {
    return entry.is_object() && entry.contains(k) && entry[k].is_string() ? entry[k].get<std::string>() : "";
  };
  return {str("key"), str("value")};
}

// The pairs recorded in the annotation; an unreadable record counts as none.
std::set<KeyValue> recorded_custom_entries(const Object& cm) {
  std::set<KeyValue> out;
  auto text = cm.annotation(kCustomEntriesAnnotation);
  if (text.empty()) return out;
  auto parsed = core::parse_yaml(text);
  if (!parsed || !parsed->is_array()) return out;
  for (const Json& pair : *parsed)
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
      out.insert({pair[0].get<std::string>(), pair[1].get<std::string>()});
  return out;
}

std::string limiter_key(std::string_view ns, std::string_view name) {
  return std::string(kLimiterKeyPrefix) + std::string(ns) + "/" + std::string(name);
}

const Object* limiter_for_key(const core::Snapshot& snapshot, std::string_view key) {
  if (!key.starts_with(kLimiterKeyPrefix)) return nullptr;
  key.remove_prefix(kLimiterKeyPrefix.size());
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return nullptr;
  return snapshot.get({kSmartLimiter, std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))});
}

bool has_global_descriptor(const SmartLimiterSpec& spec) {
  for (const auto& [name, descriptors] : spec.sets)
    for (const auto& d : descriptors)
      if (d.action.global()) return true;
  return false;
}

class LimiterModule final : public core::Module {
 public:
  std::string_view kind() const override { return "limiter"; }
  std::vector<GroupKind> reads() const override {
    return {kSmartLimiter,
            {"", "Service"},
            {"", "Pod"},
            {"", "Endpoints"},
            core::kEndpointSliceGk,
            {"networking.istio.io", "DestinationRule"},
            {"networking.istio.io", "ServiceEntry"},
            kConfigMapGk};
  }
  // Pods: labels (subsets select by label), phase and deletion (ready pods), and the name for `$pod_name`.
  std::vector<core::KindFields> read_fields() const override {
    // Endpoints: the ready addresses and their Pods.
    auto fields = core::endpoint_read_fields(true);
    fields.insert(fields.end(), {{{"", "Pod"}, {"metadata.labels", "status.phase"}},
                                 {{"", "Service"}, {"metadata.labels", "spec"}},
                                 // Scanned per namespace by every SmartLimiter reconcile: kept as trees.
                                 {{"networking.istio.io", "DestinationRule"}, {"metadata.labels", "spec"}, true, true},
                                 {{"networking.istio.io", "ServiceEntry"}, {"metadata.labels", "spec"}, true, true}});
    return fields;
  }
  std::vector<GroupKind> writes() const override { return {kEnvoyFilterGk, kConfigMapGk}; }

  core::Result<void> configure(const core::ModuleConfig& config) override {
    warnings_.clear();
    auto c = parse_limiter_config(config, warnings_);
    if (!c) return std::unexpected(c.error());
    config_ = std::move(*c);
    return {};
  }
  std::vector<core::Error> config_warnings() const override { return warnings_; }

  bool maintains_configmap() const { return config_.global_enabled() && config_.rls_configmap_valid(); }

  std::vector<std::string> keys(const core::RenderContext& ctx) const override {
    std::vector<std::string> out;
    for (const Object* l : ctx.objects.list(kSmartLimiter)) out.push_back(limiter_key(l->ns(), l->name()));
    if (maintains_configmap()) out.push_back(kRlsKey);
    return out;
  }

  std::vector<std::string> keys_for(const core::RenderContext& ctx, const Object& changed) const override {
    std::vector<std::string> out;
    GroupKind gk = changed.key().gk;
    auto limiters_in = [&](std::string_view ns) {
      for (const Object* l : ctx.objects.list(kSmartLimiter, ns)) out.push_back(limiter_key(l->ns(), l->name()));
    };
    if (gk == kSmartLimiter) {
      out.push_back(limiter_key(changed.ns(), changed.name()));
    } else if (gk == kEnvoyFilterGk) {
      // A hand-edited or deleted EnvoyFilter is restored by re-rendering its owner.
      const Json& owners = changed.owner_references();
      if (owners.is_array())
        for (const Json& o : owners)
          if (o.is_object() && o.contains("kind") && o["kind"] == kKind && o.contains("name") && o["name"].is_string())
            out.push_back(limiter_key(changed.ns(), o["name"].get<std::string>()));
      return out;
    } else if (gk == kConfigMapGk) {
      if (maintains_configmap() && changed.ns() == config_.rls_configmap_namespace &&
          changed.name() == config_.rls_configmap_name)
        out.push_back(kRlsKey);
      return out;
    } else if (gk == GroupKind{"networking.istio.io", "DestinationRule"}) {
      // Subsets of the host's limiter (a rule in the root namespace may name a host anywhere), and of the
      // limiters of its namespace (spec.host ones).
      limiters_in(changed.ns());
      const Json& spec = changed.spec();
      if (spec.is_object() && spec.contains("host") && spec["host"].is_string()) {
        std::string host = unity_host(spec["host"].get<std::string>(), changed.ns());
        constexpr std::string_view kSuffix = ".svc.cluster.local";
        if (host.ends_with(kSuffix)) {
          std::string_view svc(host.data(), host.size() - kSuffix.size());
          auto dot = svc.rfind('.');
          if (dot != std::string_view::npos && svc.substr(dot + 1) != changed.ns()) {
            std::string key = limiter_key(svc.substr(dot + 1), svc.substr(0, dot));
            if (limiter_for_key(ctx.objects, key)) out.push_back(key);
          }
        }
      }
    } else {
      // Services, Pods, Endpoints, ServiceEntries: pod counts, selectors and subsets of
      // the limiters of that namespace (and of the root namespace, whose limiters may select pods anywhere).
      limiters_in(changed.ns());
      if (changed.ns() != config_.istio_namespace) limiters_in(config_.istio_namespace);
    }
    if (maintains_configmap()) out.push_back(kRlsKey);
    return out;
  }

  std::vector<core::MetricRequest> metric_requests(const core::RenderContext& ctx, std::string_view key) const override {
    if (key == kRlsKey) {
      std::set<core::MetricRequest> all;
      for (const Object* l : ctx.objects.list(kSmartLimiter)) {
        if (!has_global_descriptor(parse_smart_limiter(*l, Descriptors::kGlobalOnly).spec)) continue;
        for (auto& r : limiter_metric_requests(ctx, *l, config_)) all.insert(std::move(r));
      }
      return {all.begin(), all.end()};
    }
    const Object* limiter = limiter_for_key(ctx.objects, key);
    if (!limiter) return {};
    return limiter_metric_requests(ctx, *limiter, config_);
  }

  std::chrono::milliseconds metric_refresh() const override { return config_.refresh; }

  core::ModuleOutput reconcile(const core::RenderContext& ctx, std::string_view key) const override {
    if (key == kRlsKey) return reconcile_configmap(ctx);
    core::ModuleOutput out;
    const Object* limiter = limiter_for_key(ctx.objects, key);
    if (!limiter) return out;
    Evaluation ev = evaluate_limiter(ctx, *limiter, config_);
    if (!ev.in_scope) return out;
    for (const auto& set : ev.sets) {
      std::string name = set.name == kBaseSet ? ev.name + "." + ev.ns + ".ratelimit"
                                              : ev.name + "." + ev.ns + "." + set.name + ".ratelimit";
      Object ef("networking.istio.io/v1alpha3", "EnvoyFilter", ev.ns, name);
      if (std::string rev = limiter->label("istio.io/rev"); !rev.empty()) ef.set_label("istio.io/rev", rev);
      ef.add_owner(*limiter);
      ef.json()["spec"] = envoy_filter_spec(ev, set, config_, ev.problems);
      out.objects.push_back(std::move(ef));
    }
    out.statuses.push_back({limiter->key(), limiter_status(ev)});
    out.problems = std::move(ev.problems);
    return out;
  }

 private:
  core::ModuleOutput reconcile_configmap(const core::RenderContext& ctx) const {
    core::ModuleOutput out;
    const Object* existing =
        ctx.objects.get({kConfigMapGk, config_.rls_configmap_namespace, config_.rls_configmap_name});
    std::vector<Json> descriptors;
    const std::set<KeyValue> ours_before = existing ? recorded_custom_entries(*existing) : std::set<KeyValue>{};
    if (existing) {
      const Json& doc = existing->json();
      auto data = doc.find("data");
      if (data != doc.end() && data->is_object() && data->contains(kRlsDataKey) && (*data)[kRlsDataKey].is_string()) {
        auto parsed = core::parse_yaml((*data)[kRlsDataKey].get<std::string>());
        const Json* list = parsed && parsed->is_object() && parsed->contains("descriptors") ? &(*parsed)["descriptors"] : nullptr;
        if (!parsed || (parsed->is_object() && list && !list->is_array() && !list->is_null()) ||
            (!parsed->is_object() && !parsed->is_null())) {
          core::Error e;
          e.object = existing->ref();
          e.field = std::string("data.") + kRlsDataKey;
          e.message = "cannot read the RLS configuration (" +
                      (parsed ? std::string("expected {domain, descriptors: [...]}") : parsed.error().message) +
                      "); it is left unchanged";
          out.problems.push_back(std::move(e));
          out.objects.push_back(*existing);
          return out;
        }
        if (list && list->is_array()) {
          for (const Json& entry : *list) {
            std::string value = entry.is_object() && entry.contains("value") && entry["value"].is_string()
                                    ? entry["value"].get<std::string>() : "";
            auto owner = generated_owner(value);
            // Entries of limiters this instance manages are rendered afresh below; entries of deleted
            // limiters go away; other entries (hand-written, other revisions) stay.
            if (!owner) {
              if (!ours_before.contains(key_value(entry))) descriptors.push_back(entry);
              continue;
            }
            const Object* l = ctx.objects.get({kSmartLimiter, owner->first, owner->second});
            if (l && !config_.rev_in_scope(l->label("istio.io/rev"))) descriptors.push_back(entry);
          }
        }
      }
    }
    bool generated = false;
    std::set<KeyValue> ours_now;
    for (const Object* l : ctx.objects.list(kSmartLimiter)) {
      if (!config_.rev_in_scope(l->label("istio.io/rev"))) continue;
      Evaluation ev = evaluate_limiter(ctx, *l, config_, true);  // its problems are reported by its own key
      for (auto& d : rls_descriptors(ev)) {
        if (!generated_owner(key_value(d).second)) ours_now.insert(key_value(d));
        descriptors.push_back(std::move(d));
        generated = true;
      }
    }
    if (!existing && !generated) return out;  // nothing to say, and the ConfigMap is not ours to create empty
    Object cm("v1", "ConfigMap", config_.rls_configmap_namespace, config_.rls_configmap_name);
    if (existing) {
      const Json& doc = existing->json();
      if (auto meta = doc.find("metadata"); meta != doc.end() && meta->is_object())
        for (const char* k : {"labels", "annotations"})
          if (auto it = meta->find(k); it != meta->end()) cm.meta()[k] = *it;
      if (auto a = cm.meta().find("annotations"); a != cm.meta().end() && a->is_object()) {
        a->erase(kCustomEntriesAnnotation);
        if (a->empty()) cm.meta().erase(a);
      }
      for (const char* k : {"data", "binaryData"})
        if (auto it = doc.find(k); it != doc.end() && it->is_object()) cm.json()[k] = *it;
    }
    if (!ours_now.empty()) {
      Json record = Json::array();
      for (const auto& [k, v] : ours_now) record.push_back(Json::array({k, v}));
      cm.set_annotation(kCustomEntriesAnnotation, record.dump());
    }
    cm.json()["data"][kRlsDataKey] = rls_config_yaml(config_.domain, std::move(descriptors));
    out.objects.push_back(std::move(cm));
    return out;
  }

  LimiterConfig config_;
  std::vector<core::Error> warnings_;
};

}  // namespace

std::unique_ptr<core::Module> make_module() { return std::make_unique<LimiterModule>(); }

}  // namespace slime::limiter

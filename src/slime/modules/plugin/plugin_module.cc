#include "slime/modules/plugin/plugin_module.h"

#include <set>
#include <utility>

#include "slime/modules/plugin/envoy_filter.h"
#include "slime/modules/plugin/envoy_plugin_convert.h"
#include "slime/modules/plugin/model.h"
#include "slime/modules/plugin/plugin_manager_convert.h"
#include "slime/modules/plugin/resources.h"
#include "slime/modules/plugin/secrets.h"

namespace slime::plugin {

std::vector<core::GroupKind> PluginModule::reads() const { return {kPluginManager, kEnvoyPlugin, kSecret, kEnvoyFilter}; }
std::vector<core::GroupKind> PluginModule::writes() const { return {kEnvoyFilter}; }

// Secrets matter only as the image pull credentials a PluginManager names: a cluster driver watches those
// Secrets one by one instead of every Secret (service-account tokens, TLS keys, Helm releases).
std::vector<core::ReferencedKind> PluginModule::referenced_only() const { return {{kSecret, {kPluginManager}}}; }

std::vector<core::ObjectKey> PluginModule::references(const core::Object& from) const {
  std::vector<core::ObjectKey> out;
  if (from.gvk().group_kind() != kPluginManager || !config_.rev_in_scope(from.label(kRevLabel))) return out;
  for (auto& name : referenced_secrets(from.spec())) out.push_back({kSecret, from.ns(), std::move(name)});
  return out;
}

core::Result<void> PluginModule::configure(const core::ModuleConfig& config) {
  warnings_.clear();
  auto parsed = parse_plugin_config(config, warnings_);
  if (!parsed) return std::unexpected(parsed.error());
  config_ = std::move(*parsed);
  return {};
}

std::vector<std::string> PluginModule::keys(const core::RenderContext& ctx) const {
  std::vector<std::string> out;
  for (const auto& gk : {kPluginManager, kEnvoyPlugin})
    for (const core::Object* o : ctx.objects.list(gk))
      if (config_.rev_in_scope(o->label(kRevLabel))) out.push_back(make_key(gk, o->ns(), o->name()));
  return out;
}

std::vector<std::string> PluginModule::keys_for(const core::RenderContext& ctx, const core::Object& changed) const {
  std::vector<std::string> out;
  try {
    collect_keys_for(ctx, changed, out);
  } catch (const std::exception&) {
    // A malformed object must not stop the controller: the keys found so far are returned.
  }
  return out;
}

void PluginModule::collect_keys_for(const core::RenderContext& ctx, const core::Object& changed,
                                    std::vector<std::string>& out) const {
  const core::GroupKind gk = changed.gvk().group_kind();
  if (gk == kPluginManager || gk == kEnvoyPlugin) {
    out.push_back(make_key(gk, changed.ns(), changed.name()));
  } else if (gk == kSecret) {
    // Every PluginManager of the Secret's namespace that pulls code with it (wasm and rider alike).
    for (const core::Object* pm : ctx.objects.list(kPluginManager, changed.ns())) {
      if (!config_.rev_in_scope(pm->label(kRevLabel))) continue;
      for (const auto& name : referenced_secrets(pm->spec())) {
        if (name == changed.name()) {
          out.push_back(make_key(kPluginManager, pm->ns(), pm->name()));
          break;
        }
      }
    }
  } else if (gk == kEnvoyFilter) {
    // A generated EnvoyFilter edited or deleted by hand is rendered again from its source.
    for (const auto& source : {kPluginManager, kEnvoyPlugin})
      if (const core::Object* o = ctx.objects.get({source, changed.ns(), changed.name()});
          o && config_.rev_in_scope(o->label(kRevLabel)))
        out.push_back(make_key(source, changed.ns(), changed.name()));
  }
}

core::ModuleOutput PluginModule::reconcile(const core::RenderContext& ctx, std::string_view key) const {
  // Last line of defence: nothing may throw past the module boundary. Conversion code avoids throwing
  // accessors; this turns a slip into a reported problem for this key only.
  try {
    return reconcile_key(ctx, key);
  } catch (const std::exception& ex) {
    core::ModuleOutput out;
    core::Error e;
    if (auto k = parse_key(key)) e.object = k->gk.kind + " " + k->ns + "/" + k->name;  // Object::ref() form
    else e.object = std::string(key);
    e.message = std::string("internal error while rendering: ") + ex.what();
    out.problems.push_back(std::move(e));
    return out;
  }
}

core::ModuleOutput PluginModule::reconcile_key(const core::RenderContext& ctx, std::string_view key) const {
  core::ModuleOutput out;
  auto object_key = parse_key(key);
  if (!object_key) return out;
  const core::Object* source = ctx.objects.get(*object_key);
  if (!source) return out;  // deleted: the driver prunes what this key rendered before

  const std::string rev = source->label(kRevLabel);
  if (!config_.rev_in_scope(rev)) return out;  // another Slime instance's resource

  // An EnvoyFilter of that name that belongs to a revision we do not manage is left alone.
  if (const core::Object* existing = ctx.objects.get({kEnvoyFilter, source->ns(), source->name()})) {
    std::string existing_rev = existing->label(kRevLabel);
    if (!config_.rev_in_scope(existing_rev)) {
      core::Error e;
      e.object = source->ref();
      e.message = "EnvoyFilter " + source->ns() + "/" + source->name() + " exists with istio.io/rev=" + existing_rev +
                  ", a revision this instance does not manage; it is left untouched";
      out.problems.push_back(std::move(e));
      return out;
    }
  }

  std::vector<core::Error> problems;
  core::Result<Json> spec;
  if (object_key->gk == kPluginManager) {
    auto parsed = parse_plugin_manager_spec(source->spec(), problems);
    if (parsed) {
      SecretLookup secrets = [&](const std::string& name) { return docker_config_json(ctx.objects, source->ns(), name); };
      spec = convert_plugin_manager(*parsed, source->ns(), config_, secrets, problems);
    } else {
      spec = std::unexpected(parsed.error());
    }
  } else {
    auto parsed = parse_envoy_plugin_spec(source->spec(), problems);
    if (parsed) spec = convert_envoy_plugin(*parsed, source->ns(), config_, problems);
    else spec = std::unexpected(parsed.error());
  }

  if (spec) {
    out.objects.push_back(make_envoy_filter(*source, std::move(*spec), config_));
  } else {
    problems.push_back(std::move(spec.error()));
    // The resource cannot be read at all: keep serving what it produced last time instead of letting the
    // driver delete the EnvoyFilter (the original leaves it in place too).
    if (auto kept = keep_existing_envoy_filter(ctx.objects, *source)) out.objects.push_back(std::move(*kept));
  }
  // A plugin crossed with several targets can report the same problem once per target: keep one.
  std::set<std::pair<std::string, std::string>> seen;
  for (auto& p : problems)
    if (seen.emplace(p.field, p.message).second) out.problems.push_back(std::move(p).in_object(source->ref()));
  return out;
}

std::unique_ptr<core::Module> make_module() { return std::make_unique<PluginModule>(); }

}  // namespace slime::plugin

#include "slime/modules/plugin/envoy_filter.h"

#include "slime/modules/plugin/resources.h"

namespace slime::plugin {

core::Object make_envoy_filter(const core::Object& source, core::Json spec, const PluginConfig& config) {
  core::Object ef(kEnvoyFilterApiVersion, "EnvoyFilter", source.ns(), source.name());
  if (config.passthrough_label_re)
    for (const auto& [k, v] : source.labels())
      if (config.passes_label(k)) ef.set_label(k, v);
  if (std::string rev = source.label(kRevLabel); !rev.empty()) ef.set_label(kRevLabel, rev);
  ef.add_owner(source);
  ef.json()["spec"] = std::move(spec);
  return ef;
}

std::optional<core::Object> keep_existing_envoy_filter(const core::Snapshot& objects, const core::Object& source) {
  const core::Object* existing = objects.get({kEnvoyFilter, source.ns(), source.name()});
  if (!existing) return std::nullopt;
  bool owned = false;
  const core::Json& owners = existing->owner_references();
  if (owners.is_array())
    for (const auto& o : owners)
      if (o.is_object() && o.value("kind", "") == source.kind() && o.value("name", "") == source.name() &&
          (source.uid().empty() || o.value("uid", "") == source.uid()))
        owned = true;
  if (!owned) return std::nullopt;
  core::Object kept(kEnvoyFilterApiVersion, "EnvoyFilter", source.ns(), source.name());
  const core::Json& meta = existing->json()["metadata"];
  for (const char* k : {"labels", "annotations", "ownerReferences"})
    if (meta.contains(k)) kept.meta()[k] = meta[k];
  if (existing->json().contains("spec")) kept.json()["spec"] = existing->json()["spec"];
  return kept;
}

}  // namespace slime::plugin

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
  auto str = [](const core::Json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  bool owned = false;
  const core::Json& owners = existing->owner_references();
  if (owners.is_array())
    for (const auto& o : owners)
      if (o.is_object() && str(o, "kind") == source.kind() && str(o, "name") == source.name() &&
          (source.uid().empty() || str(o, "uid") == source.uid()))
        owned = true;
  if (!owned) return std::nullopt;
  core::Object kept(kEnvoyFilterApiVersion, "EnvoyFilter", source.ns(), source.name());
  const core::Json& doc = existing->json();
  if (auto meta = doc.find("metadata"); meta != doc.end() && meta->is_object())
    for (const char* k : {"labels", "annotations", "ownerReferences"})
      if (auto it = meta->find(k); it != meta->end()) kept.meta()[k] = *it;
  if (auto spec = doc.find("spec"); spec != doc.end()) kept.json()["spec"] = *spec;
  return kept;
}

}  // namespace slime::plugin

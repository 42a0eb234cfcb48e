#include "slime/modules/plugin/patch_common.h"

#include "slime/modules/plugin/json_util.h"

namespace slime::plugin {

Json typed_struct(const std::string& type_url, const std::optional<Json>& value) {
  return {{"@type", kTypedStruct}, {"type_url", type_url}, {"value", value ? *value : Json::object()}};
}

const char* patch_context(ListenerType t) {
  switch (t) {
    case ListenerType::kInbound:
      return "SIDECAR_INBOUND";
    case ListenerType::kGateway:
      return "GATEWAY";
    case ListenerType::kOutbound:
      break;
  }
  return "SIDECAR_OUTBOUND";
}

std::string config_discovery_name(const std::string& ns, const Plugin& p) {
  std::string out = ns + "." + p.name;
  if (p.kind == SettingsKind::kRider) out += kRiderSuffix;
  return out;
}

namespace {
// The keys of an EnvoyConfigObjectPatch, the only ones the original's proto round trip lets through.
std::optional<std::string> shape_error(const Json& patch) {
  if (!patch.is_object()) return std::string("the patched result is not a mapping");
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& k = it.key();
    if (k == "applyTo") {
      if (!it->is_string()) return "applyTo must be a string, got " + it->dump();
    } else if (k == "match" || k == "patch") {
      if (!it->is_object()) return k + " must be a mapping, got " + it->dump();
    } else {
      return "the patched result has the unknown field \"" + k + "\" (expected applyTo, match, patch)";
    }
  }
  return std::nullopt;
}
}  // namespace

std::optional<Json> finish_patch(Json patch, const Json* extra, const Plugin& p, std::vector<core::Error>& problems) {
  if (extra) merge_patch(patch, *extra);
  if (p.raw_patch) {
    merge_patch(patch, *p.raw_patch);
    if (auto err = shape_error(patch)) {
      core::Error e;
      e.field = p.path + ".rawPatch";
      e.message = *err + "; this patch is skipped";
      problems.push_back(std::move(e));
      return std::nullopt;
    }
  }
  return patch;
}

}  // namespace slime::plugin

#include "slime/modules/plugin/resources.h"

namespace slime::plugin {

std::string make_key(const core::GroupKind& gk, std::string_view ns, std::string_view name) {
  std::string out;
  out.reserve(gk.kind.size() + ns.size() + name.size() + 2);
  out.append(gk.kind).append("/").append(ns).append("/").append(name);
  return out;
}

std::optional<core::ObjectKey> parse_key(std::string_view key) {
  size_t a = key.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = key.find('/', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  std::string_view kind = key.substr(0, a);
  core::GroupKind gk;
  if (kind == kPluginManager.kind) gk = kPluginManager;
  else if (kind == kEnvoyPlugin.kind) gk = kEnvoyPlugin;
  else return std::nullopt;
  return core::ObjectKey{std::move(gk), std::string(key.substr(a + 1, b - a - 1)), std::string(key.substr(b + 1))};
}

}  // namespace slime::plugin

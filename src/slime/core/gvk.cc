#include "slime/core/gvk.h"

namespace slime::core {

Gvk Gvk::from(std::string_view api_version, std::string_view kind) {
  Gvk g;
  g.kind = kind;
  auto slash = api_version.find('/');
  if (slash == std::string_view::npos) {
    g.version = api_version;
  } else {
    g.group = api_version.substr(0, slash);
    g.version = api_version.substr(slash + 1);
  }
  return g;
}

std::string ObjectKey::str() const {
  std::string out = gk.str() + " ";
  if (!ns.empty()) out += ns + "/";
  return out + name;
}

}  // namespace slime::core

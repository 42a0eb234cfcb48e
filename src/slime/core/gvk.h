#pragma once
// Group/version/kind and the keys objects are stored under.
#include <compare>
#include <string>
#include <string_view>

namespace slime::core {

struct GroupKind {
  std::string group;  // "" for the core API group
  std::string kind;
  auto operator<=>(const GroupKind&) const = default;
  std::string str() const { return group.empty() ? kind : kind + "." + group; }
};

struct Gvk {
  std::string group;
  std::string version;
  std::string kind;

  // "networking.istio.io/v1alpha3" + "Sidecar"; "v1" + "ConfigMap" has the empty (core) group.
  static Gvk from(std::string_view api_version, std::string_view kind);
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  GroupKind group_kind() const { return {group, kind}; }
  auto operator<=>(const Gvk&) const = default;
};

// Objects are keyed by group and kind, not version: an object read as v1alpha3 and written back as
// v1beta1 is the same object to the API server.
struct ObjectKey {
  GroupKind gk;
  std::string ns;  // empty for cluster-scoped objects
  std::string name;
  auto operator<=>(const ObjectKey&) const = default;
  // "Sidecar.networking.istio.io default/reviews"
  std::string str() const;
};

}  // namespace slime::core

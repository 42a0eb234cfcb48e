#pragma once
// Owner marks: which module and reconcile key produced a generated object, written onto the object
// itself by the runtime at apply time (never by modules, so `slime render` output stays as it is).
// They let a new process, or a new leader, find what an earlier one wrote and prune what no key
// renders any more: the label is what a label-selected list asks for, the annotation holds the key
// (keys such as "<namespace>/<name>" are not valid label values). Objects without the label are the
// user's and are never pruned by this mechanism.
#include <optional>
#include <string>
#include <string_view>

#include "slime/core/object.h"
#include "slime/core/projection.h"

namespace slime::store {

using core::kOwnerModuleLabel;  // also what the projection keeps whole
inline constexpr std::string_view kOwnerKeyAnnotation = "slime.io/owner-key";

struct OwnerMark {
  std::string module;
  std::string key;
};

inline void mark_owner(core::Object& o, std::string_view module, std::string_view key) {
  o.set_label(kOwnerModuleLabel, module);
  o.set_annotation(kOwnerKeyAnnotation, key);
}

// The mark of `o`, if it has a complete one.
inline std::optional<OwnerMark> owner_mark(const core::Object& o) {
  OwnerMark m{o.label(kOwnerModuleLabel), o.annotation(kOwnerKeyAnnotation)};
  if (m.module.empty() || m.key.empty()) return std::nullopt;
  return m;
}

// The label selector that lists what `module` wrote.
inline std::string owner_selector(std::string_view module) {
  return std::string(kOwnerModuleLabel) + "=" + std::string(module);
}

}  // namespace slime::store

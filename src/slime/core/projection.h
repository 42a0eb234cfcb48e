#pragma once
// The parts of each kind that the configured modules read (their read_fields()), merged: what a driver
// caches of an object. A kind any module writes is kept whole (the controller compares what it sets with
// the live object); a kind a reading module declares nothing for is kept whole; otherwise the union of the
// declared paths plus the identity. A kind no module needs is not watched (and dropped from render inputs).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "slime/core/gvk.h"
#include "slime/core/module.h"
#include "slime/core/object.h"

namespace slime::core {

class Projection {
 public:
  // Everything whole: what drivers did before modules declared their reads.
  Projection() = default;
  static Projection of(const std::vector<const Module*>& modules);

  // False when every module reading `gk` says it needs none of it (and none writes it).
  bool needed(const GroupKind& gk) const { return !unneeded_.contains(gk); }
  bool whole(const GroupKind& gk) const { return !paths_.contains(gk); }
  // Every kept path lies under metadata: the kind can be listed and watched as PartialObjectMetadata.
  bool metadata_only(const GroupKind& gk) const;
  // Cuts `obj` down to the paths kept for its kind, in place (moves, no copies). Whole kinds keep everything.
  void apply(Object& obj) const;
  // Paths kept for `gk` (beyond the identity); empty for whole kinds.
  std::vector<std::string> paths(const GroupKind& gk) const;

 private:
  std::map<GroupKind, std::set<std::vector<std::string>>> paths_;  // split at '.'
  std::set<GroupKind> unneeded_;
};

}  // namespace slime::core

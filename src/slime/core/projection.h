#pragma once
// The parts of each kind that the configured modules read (their read_fields()), merged: what a driver
// caches of an object. A kind a reading module declares nothing for is kept whole; otherwise the union of
// the declared paths plus the identity. A kind no module needs is not watched (and dropped from render
// inputs).
//
// A kind some module writes is cut down too, but only its objects that Slime did not write: the controller
// compares what it renders with the live object field by field (runtime/object_diff.h), and what it
// renders always carries the owner mark (store/owner_marks.h). An object without the mark therefore
// differs from any rendered one whatever else it holds, so only what modules read of it matters (a
// cluster's Services: lazyload reads their labels, ports and selector). Objects with the mark stay whole.
//
// A cache keeps the objects of cut-down kinds packed (packs(), Object::pack): MessagePack, a fifth of the
// tree, read in place for the envelope and unpacked per store read for the rest. Kinds a module scans
// whole on frequent paths (KindFields::scanned) stay trees.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/gvk.h"
#include "slime/core/module.h"
#include "slime/core/object.h"

namespace slime::core {

// The label the runtime puts on every object it writes (store/owner_marks.h).
inline constexpr std::string_view kOwnerModuleLabel = "slime.io/owner-module";

class Projection {
 public:
  // Everything whole: what drivers did before modules declared their reads.
  Projection() = default;
  static Projection of(const std::vector<const Module*>& modules);

  // False when every module reading `gk` says it needs none of it (and none writes it).
  bool needed(const GroupKind& gk) const { return !unneeded_.contains(gk); }
  // Never cut down (apply() may still keep single objects whole: see written kinds above).
  bool whole(const GroupKind& gk) const { return !paths_.contains(gk); }
  // Every kept path lies under metadata: the kind can be listed and watched as PartialObjectMetadata.
  bool metadata_only(const GroupKind& gk) const;
  // Cuts `obj` down to the paths kept for its kind, in place (moves, no copies). Whole kinds keep
  // everything, and so do objects of a written kind that carry the owner mark.
  void apply(Object& obj) const;
  // An object of a kind cut down for readers (whether apply() cut it or, carrying the owner mark, kept it
  // whole) that no module scans: a cache keeps it packed (Object::pack) rather than as a tree.
  bool packs(const Object& obj) const;
  // Paths kept for `gk` (beyond the identity); empty for whole kinds.
  std::vector<std::string> paths(const GroupKind& gk) const;

 private:
  std::map<GroupKind, std::set<std::vector<std::string>>> paths_;  // split at '.'
  std::set<GroupKind> unneeded_;
  std::set<GroupKind> written_;  // kinds with paths_ whose marked objects apply() keeps whole
  std::set<GroupKind> scanned_;  // kinds with paths_ some module declared scanned: kept as trees
};

}  // namespace slime::core

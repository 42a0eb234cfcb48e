#pragma once
// What of a kind a module reads, declared next to Module::reads() so that drivers cache only that: the
// controller projects every watched object to these parts before caching it (and lists/watches kinds it
// needs only metadata of as PartialObjectMetadata); `slime render` projects its inputs the same way, so
// the golden cases prove that nothing a module reads is dropped.
#include <string>
#include <vector>

#include "slime/core/gvk.h"

namespace slime::core {

struct KindFields {
  GroupKind kind;
  // Dotted paths the module reads, e.g. "metadata.labels", "status.podIP", "spec". The identity is always
  // kept (apiVersion, kind, metadata name, namespace, uid, resourceVersion, generation, deletionTimestamp).
  std::vector<std::string> paths;
  // False: with this configuration the module reads nothing of the kind (e.g. lazyload's Pods without
  // workload fences); when no module needs a kind, it is not watched at all.
  bool needed = true;
  // True when the module reads every object of the kind on a frequent path (lazyload: all VirtualServices
  // on each fence reconcile). A cache keeps such a kind as trees; other kinds it cuts down it keeps packed
  // (core::Object::pack), unpacked only for the reads that look past the envelope.
  bool scanned = false;
};

}  // namespace slime::core

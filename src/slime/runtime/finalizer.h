#pragma once
// Clean-up on delete for modules that ask for it (core::Module::cleanup()). The runtime keeps the
// module's finalizer on its resources; once a resource is being deleted, or is gone (deleted while no
// Slime ran, or on a backend without finalizers), it deletes every object the module wrote for it —
// found by the owner annotation in the store, so objects written by an earlier process count too — and
// then releases the finalizer so the API server completes the delete.
//
// Planning is pure (a snapshot in, a plan out) and runs inside the controller's consistent read;
// Finalizer::execute does the writes.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/module.h"
#include "slime/core/snapshot.h"
#include "slime/runtime/metrics.h"
#include "slime/store/cluster.h"

namespace slime::runtime {

struct CleanupPlan {
  // The key's resource as the snapshot has it (the finalizer update's precondition), if it exists.
  std::optional<core::Object> resource;
  // Objects written for a resource that is being deleted or gone.
  std::vector<core::Object> remove;
  // New metadata.finalizers of `resource` when they must change: ours added, or ours dropped (only
  // after every object of `remove` is deleted).
  std::optional<std::vector<std::string>> finalizers;
};

// What the planner needs to know about the backend.
struct CleanupBackend {
  bool keeps_finalizers = false;
  // Absence of the resource from the snapshot proves it was deleted (see store::Cluster::covers).
  bool resource_covered = true;
};

// "<namespace>/<name>" (or "<name>") -> the key of the resource it names.
core::ObjectKey cleanup_resource_key(const core::GroupKind& kind, std::string_view key);
bool being_deleted(const core::Object& o);
std::vector<std::string> finalizers_of(const core::Object& o);

// `handled`: true for objects the controller already deals with in this reconcile (rendered, or pruned
// as previously rendered); the plan leaves them alone.
CleanupPlan plan_cleanup(const core::Snapshot& snap, const core::Cleanup& cleanup,
                         const std::set<core::GroupKind>& written_kinds, std::string_view key,
                         const std::function<bool(const core::ObjectKey&)>& handled, const CleanupBackend& backend);

// Keys whose resource is gone but whose objects are still there (deleted while no Slime ran), for the
// start-up pass. `covered` says whether the absence of a resource can be trusted.
std::vector<std::string> orphaned_cleanup_keys(const core::Snapshot& snap, const core::Cleanup& cleanup,
                                               const std::set<core::GroupKind>& written_kinds,
                                               const std::function<bool(const core::ObjectKey&)>& covered);

class Finalizer {
 public:
  Finalizer(core::Cleanup cleanup, std::set<core::GroupKind> written_kinds, store::Cluster& cluster,
            Metrics& metrics, std::string module);

  // Inside the controller's read of the store.
  CleanupPlan plan(const core::Snapshot& snap, std::string_view key, const std::set<core::ObjectKey>& owned,
                   const std::set<core::ObjectKey>& rendered) const;
  // Deletes plan.remove, then updates the finalizers; ours is only dropped when those deletes and the
  // controller's own writes (`writes_ok`) succeeded. False: retry the key later.
  bool execute(const CleanupPlan& plan, std::string_view key, bool writes_ok);
  // Reads the store: keys to reconcile at start so that orphans of deleted resources are removed.
  std::vector<std::string> orphaned_keys() const;

  const core::Cleanup& cleanup() const { return cleanup_; }

 private:
  core::Cleanup cleanup_;
  std::set<core::GroupKind> written_kinds_;
  store::Cluster& cluster_;
  Metrics& metrics_;
  std::string module_;
};

}  // namespace slime::runtime

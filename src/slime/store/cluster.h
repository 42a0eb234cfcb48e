#pragma once
// What `slime run` drives: a source of objects that keeps a SharedStore up to date, and accepts the
// controller's writes. Two implementations: the manifest directory (store/manifest_dir.h) and a
// Kubernetes API server (runtime/kube_cluster.h).
#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/gvk.h"
#include "slime/core/json.h"
#include "slime/core/object.h"
#include "slime/core/projection.h"
#include "slime/store/shared_store.h"

namespace slime::store {

class Cluster {
 public:
  virtual ~Cluster() = default;

  // What of each kind to keep (call before start()); backends that cannot cut objects down keep them whole.
  virtual void set_projection(core::Projection /*projection*/) {}
  // Starts feeding store() with objects of these kinds (a backend may feed more). Non-blocking.
  virtual core::Result<void> start(const std::set<core::GroupKind>& kinds) = 0;
  // True once every kind it could serve has been read completely at least once.
  virtual bool wait_synced(std::chrono::milliseconds timeout) = 0;
  virtual void stop() = 0;
  virtual SharedStore& store() = 0;

  // Creates or updates `desired` (the fields it sets; Slime owns them).
  virtual core::Result<void> apply(const core::Object& desired) = 0;
  // Deletes an object Slime wrote earlier.
  virtual core::Result<void> remove(const core::Object& existing) = 0;
  // Replaces the `.status` of `target` (one of the user's resources), provided the object is still the
  // version `target` is (its resourceVersion; its status where there are no versions). Otherwise it
  // fails: a status computed from a stale copy must not overwrite a newer one (the fence reconcile and
  // the learning loop both write ServiceFence statuses); the caller retries on a fresher copy.
  virtual core::Result<void> apply_status(const core::Object& target, const core::Json& status) = 0;
  // Reports a problem with an input object to its owner (Kubernetes Event); best effort.
  virtual void record_problem(const core::Object& regarding, const std::string& reason, const std::string& message) = 0;
  // Records a module's Event about one of its resources (type "Normal" or "Warning"); best effort.
  // Backends without Events keep the last few (manifest directory) or drop them.
  virtual void record_event(const core::Object& /*regarding*/, const std::string& /*type*/,
                            const std::string& /*reason*/, const std::string& /*message*/) {}

  virtual std::string describe() const = 0;

  // Objects this backend knows Slime wrote in an earlier run (to prune the ones no key renders any
  // more after a restart). Backends that cannot tell return nothing.
  virtual std::vector<core::ObjectKey> written_by_slime() const { return {}; }

  // Owner marks (store/owner_marks.h): whether the controller stamps them on what it applies, and the
  // objects of `kinds` stamped for `module`, read from the backend itself (not the cache) so that what an
  // earlier process or leader wrote is found after a restart or failover.
  virtual bool marks_owners() const { return false; }
  virtual core::Result<std::vector<core::Object>> list_owned(std::string_view /*module*/,
                                                            const std::set<core::GroupKind>& /*kinds*/) {
    return std::vector<core::Object>{};
  }

  // Finalizers (Kubernetes). Backends without them delete at once and keep none.
  virtual bool keeps_finalizers() const { return false; }
  // Sets metadata.finalizers of `target` to `finalizers`, provided the object is still at
  // target's resourceVersion (a conflict fails; the caller retries on a fresher copy).
  virtual core::Result<void> set_finalizers(const core::Object& /*target*/,
                                            const std::vector<std::string>& /*finalizers*/) {
    return {};
  }
  // Whether store() would hold `key` if it existed: its kind has been read completely and its namespace
  // is watched. Absence from the store proves deletion only then.
  virtual bool covers(const core::ObjectKey& /*key*/) const { return true; }

  // Watching single objects by name (Kubernetes: a list+watch with fieldSelector metadata.name=…), for
  // kinds modules read only by reference (core::ReferencedKind). Backends that load everything anyway
  // return false and are started with the whole kind instead.
  virtual bool watches_by_name() const { return false; }
  // Starts feeding store() with the object `key` (when it exists, and every change of it); non-blocking.
  virtual core::Result<void> watch_named(const core::ObjectKey& /*key*/) { return {}; }
  // Stops that watch and removes the object from store() (nothing needs it any more).
  virtual void unwatch_named(const core::ObjectKey& /*key*/) {}
};

}  // namespace slime::store

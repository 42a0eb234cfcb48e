#pragma once
// The contract between Slime's modules and the drivers that run them (`slime render`, `slime run`).
//
// A module is a pure function of a RenderContext: it never does I/O. Its work is split into
// reconcile keys (one per user resource, plus any singletons such as a shared ConfigMap) so that the
// long-running controller re-renders only what a change touches, while `slime render` simply
// reconciles every key.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/error.h"
#include "slime/core/gvk.h"
#include "slime/core/object.h"
#include "slime/core/read_fields.h"
#include "slime/core/snapshot.h"

namespace slime::core {

struct StatusUpdate {
  ObjectKey key;  // an object the module reads (its own resource)
  Json status;    // the complete new `.status`
};

// A Kubernetes Event a module asks the driver to record about one of the objects it reads (e.g. a
// CanaryRelease changing phase). Modules emit one only when the status they return records the
// transition, so a re-render of an unchanged world emits nothing.
struct ModuleEvent {
  ObjectKey regarding;
  std::string type;  // "Normal" or "Warning"
  std::string reason;
  std::string message;
};

struct ModuleOutput {
  // Desired objects owned by the key. The driver prunes objects the key rendered before but not now.
  std::vector<Object> objects;
  std::vector<StatusUpdate> statuses;
  // Problems with the input (validation errors name the object and field); the key's valid parts
  // still render.
  std::vector<Error> problems;
  // Events to record (`slime run`: once the statuses are written; `slime render`: printed).
  std::vector<ModuleEvent> events;
  // The key wants to be reconciled again at this time even if nothing it reads changes (a clock-driven
  // step); `slime run` schedules it, `slime render` ignores it.
  std::optional<std::chrono::system_clock::time_point> revisit_at;
};

// Clean-up on delete, for modules whose reconcile keys are the "<namespace>/<name>" of resources of one
// kind and whose rendered objects carry `annotation: <that key>`. `slime run` then keeps `finalizer` on
// each such resource (where the backend has finalizers) and, once the resource is being deleted or is
// gone (also: deleted while no Slime ran), deletes every object of the module's writes() kinds that
// carries the annotation, before releasing the finalizer. reconcile() must render nothing for a resource
// whose metadata.deletionTimestamp is set.
struct Cleanup {
  GroupKind kind;
  std::string finalizer;
  std::string annotation;
};

// What a module that deploys the others (boot) knows about this build's modules: which kinds exist, and
// what each reads and writes (its least-privilege RBAC role is derived from these).
struct ModuleInfo {
  std::string kind;
  std::vector<GroupKind> reads;
  std::vector<GroupKind> writes;
  std::optional<GroupKind> finalized;  // cleanup()->kind: its finalizer is patched on these
};

// A kind a module reads only where its other inputs name an object of it: the plugin module needs the
// image pull Secrets its PluginManagers name, never the other Secrets of the cluster. A driver watching a
// cluster then watches each named object alone (Module::references) instead of the whole kind; drivers
// that hold all their inputs anyway (`slime render`, the manifest directory) can ignore it.
struct ReferencedKind {
  GroupKind kind;               // in reads()
  std::vector<GroupKind> from;  // the kinds (in reads(), never `kind` itself) whose objects name them
};

class Module {
 public:
  virtual ~Module() = default;

  // The module kind as written in configuration (`lazyload`, `limiter`, `plugin`).
  virtual std::string_view kind() const = 0;
  virtual std::vector<GroupKind> reads() const = 0;
  virtual std::vector<GroupKind> writes() const = 0;
  // Which parts of the kinds in reads() this module reads, given its configuration (valid after
  // configure()). A kind left out is read whole. See read_fields.h.
  virtual std::vector<KindFields> read_fields() const { return {}; }
  // Kinds of reads() needed only by reference (see ReferencedKind; valid after configure()).
  virtual std::vector<ReferencedKind> referenced_only() const { return {}; }
  // The objects of a referenced_only() kind that `from` (an object of one of its `from` kinds) names,
  // from that object alone (so a driver can follow each change of it). Pure.
  virtual std::vector<ObjectKey> references(const Object& /*from*/) const { return {}; }

  // Called once before any render, with the module's configuration (defaults when none was given).
  virtual Result<void> configure(const ModuleConfig& config) = 0;
  // Non-fatal findings of configure(), e.g. unknown keys in `general`.
  virtual std::vector<Error> config_warnings() const { return {}; }

  // Every reconcile key that exists for this snapshot.
  virtual std::vector<std::string> keys(const RenderContext& ctx) const = 0;
  // The keys a change to `changed` (added, updated or deleted) may affect.
  virtual std::vector<std::string> keys_for(const RenderContext& ctx, const Object& changed) const = 0;
  // Metric queries the key needs answered before reconcile (default: none).
  virtual std::vector<MetricRequest> metric_requests(const RenderContext&, std::string_view) const { return {}; }
  // How often a long-running driver asks the metric source again (the adaptive loop's tick).
  virtual std::chrono::milliseconds metric_refresh() const { return std::chrono::seconds(30); }

  virtual ModuleOutput reconcile(const RenderContext& ctx, std::string_view key) const = 0;

  // Clean-up on delete (default: none; see Cleanup).
  virtual std::optional<Cleanup> cleanup() const { return std::nullopt; }

  // The build's module table (modules::create hands it to every instance before configure). Modules that
  // do not deploy other modules ignore it.
  virtual void set_catalog(std::vector<ModuleInfo> /*catalog*/) {}
};

using ModuleFactory = std::unique_ptr<Module> (*)();

}  // namespace slime::core

#include "slime/runtime/finalizer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace slime::runtime {
namespace {

// Without copying or unpacking: the planner looks at every object of the written kinds.
std::string_view annotation_of(const core::Object& o, const std::string& name) { return o.annotation_view(name); }

}  // namespace

core::ObjectKey cleanup_resource_key(const core::GroupKind& kind, std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return {kind, "", std::string(key)};
  return {kind, std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

bool being_deleted(const core::Object& o) {
  const auto& doc = o.json();
  auto meta = doc.find("metadata");
  if (meta == doc.end() || !meta->is_object()) return false;
  auto ts = meta->find("deletionTimestamp");
  return ts != meta->end() && !ts->is_null();
}

std::vector<std::string> finalizers_of(const core::Object& o) {
  std::vector<std::string> out;
  const auto& doc = o.json();
  auto meta = doc.find("metadata");
  if (meta == doc.end() || !meta->is_object()) return out;
  auto list = meta->find("finalizers");
  if (list == meta->end() || !list->is_array()) return out;
  for (const auto& f : *list)
    if (f.is_string()) out.push_back(f.get<std::string>());
  return out;
}

CleanupPlan plan_cleanup(const core::Snapshot& snap, const core::Cleanup& cleanup,
                         const std::set<core::GroupKind>& written_kinds, std::string_view key,
                         const std::function<bool(const core::ObjectKey&)>& handled, const CleanupBackend& backend) {
  CleanupPlan plan;
  const core::Object* resource = snap.get(cleanup_resource_key(cleanup.kind, key));
  auto finalizers = resource ? finalizers_of(*resource) : std::vector<std::string>{};
  auto ours = std::find(finalizers.begin(), finalizers.end(), cleanup.finalizer);

  // A resource that is gone counts as deleted only when the store would hold it otherwise: a kind not
  // read yet, or a namespace not watched, must never look like "everything was deleted".
  bool deleting = resource ? being_deleted(*resource) : backend.resource_covered;
  if (!deleting) {
    // Adding a finalizer to an object that is being deleted is refused by the API server; not needed.
    if (resource && backend.keeps_finalizers && ours == finalizers.end()) {
      finalizers.push_back(cleanup.finalizer);
      plan.resource = *resource;
      plan.finalizers = std::move(finalizers);
    }
    return plan;
  }
  for (const auto& gk : written_kinds)
    for (const auto* o : snap.list(gk))
      if (annotation_of(*o, cleanup.annotation) == key && !handled(o->key())) plan.remove.push_back(*o);
  if (resource && backend.keeps_finalizers && ours != finalizers.end()) {
    finalizers.erase(ours);
    plan.resource = *resource;
    plan.finalizers = std::move(finalizers);
  }
  return plan;
}

std::vector<std::string> orphaned_cleanup_keys(const core::Snapshot& snap, const core::Cleanup& cleanup,
                                               const std::set<core::GroupKind>& written_kinds,
                                               const std::function<bool(const core::ObjectKey&)>& covered) {
  std::set<std::string_view> seen;  // views into the snapshot, valid during the read
  std::set<std::string> orphaned;
  for (const auto& gk : written_kinds)
    for (const auto* o : snap.list(gk)) {
      std::string_view owner = annotation_of(*o, cleanup.annotation);
      if (owner.empty() || !seen.emplace(owner).second) continue;
      auto resource = cleanup_resource_key(cleanup.kind, owner);
      if (!snap.get(resource) && covered(resource)) orphaned.emplace(owner);
    }
  return {orphaned.begin(), orphaned.end()};
}

Finalizer::Finalizer(core::Cleanup cleanup, std::set<core::GroupKind> written_kinds, store::Cluster& cluster,
                     Metrics& metrics, std::string module)
    : cleanup_(std::move(cleanup)),
      written_kinds_(std::move(written_kinds)),
      cluster_(cluster),
      metrics_(metrics),
      module_(std::move(module)) {}

CleanupPlan Finalizer::plan(const core::Snapshot& snap, std::string_view key, const std::set<core::ObjectKey>& owned,
                            const std::set<core::ObjectKey>& rendered) const {
  CleanupBackend backend{cluster_.keeps_finalizers(), cluster_.covers(cleanup_resource_key(cleanup_.kind, key))};
  return plan_cleanup(
      snap, cleanup_, written_kinds_, key,
      [&](const core::ObjectKey& k) { return owned.count(k) > 0 || rendered.count(k) > 0; }, backend);
}

bool Finalizer::execute(const CleanupPlan& plan, std::string_view key, bool writes_ok) {
  bool ok = true;
  for (const auto& o : plan.remove) {
    auto r = cluster_.remove(o);
    metrics_.inc("slime_writes_total", {{"module", module_}, {"op", "delete"}, {"result", r ? "success" : "error"}});
    if (r) {
      spdlog::info("deleted object of a deleted resource module={} key={} object=\"{}\"", module_, key, o.ref());
    } else {
      ok = false;
      spdlog::warn("delete failed module={} key={} object=\"{}\" error=\"{}\"", module_, key, o.ref(), r.error().str());
    }
  }
  if (!plan.finalizers || !plan.resource) return ok;
  const auto& next = *plan.finalizers;
  bool adding = std::find(next.begin(), next.end(), cleanup_.finalizer) != next.end();
  // Releasing the finalizer lets the API server delete the resource: only once nothing of it is left.
  if (!adding && !(ok && writes_ok)) return false;
  auto r = cluster_.set_finalizers(*plan.resource, next);
  metrics_.inc("slime_writes_total", {{"module", module_}, {"op", "finalizer"}, {"result", r ? "success" : "error"}});
  if (!r) {
    // A conflict (the resource changed since the snapshot) is retried on the fresher copy.
    spdlog::warn("finalizer update failed module={} key={} object=\"{}\" error=\"{}\"", module_, key,
                 plan.resource->ref(), r.error().str());
    return false;
  }
  spdlog::info("{} finalizer module={} key={} finalizer={}", adding ? "added" : "released", module_, key,
               cleanup_.finalizer);
  return ok;
}

std::vector<std::string> Finalizer::orphaned_keys() const {
  return cluster_.store().read([&](const core::Snapshot& snap) {
    return orphaned_cleanup_keys(snap, cleanup_, written_kinds_,
                                 [&](const core::ObjectKey& k) { return cluster_.covers(k); });
  });
}

}  // namespace slime::runtime

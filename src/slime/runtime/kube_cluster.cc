#include "slime/runtime/kube_cluster.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <mutex>

#include "slime/core/kinds.h"
#include "slime/runtime/object_diff.h"
#include "slime/store/owner_marks.h"

namespace slime::runtime {

namespace {

// glibc gives each thread that allocates its own malloc arena (up to 8 per core). Here a few dozen
// threads (an informer per kind, the reconcile workers, the HTTP pool) allocate and free cached
// objects across threads, and each arena keeps its freed pages: at 10,000 Services that was about
// 20 MB of peak RSS. Two arenas are plenty for a controller whose work is mostly waiting on the
// API server. MALLOC_ARENA_MAX in the environment still wins.
void limit_malloc_arenas() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 2);
  });
}

}  // namespace

KubeCluster::KubeCluster(kube::Client& client, std::string ns) : client_(client), ns_(std::move(ns)) {
  limit_malloc_arenas();
}

KubeCluster::~KubeCluster() { stop(); }

std::unique_ptr<kube::Informer> KubeCluster::make_informer(const core::Gvk& gvk, kube::ListOptions opts) {
  opts.metadata_only = projection_.metadata_only(gvk.group_kind());
  auto inf = std::make_unique<kube::Informer>(client_, gvk, opts);
  if (!projection_.whole(gvk.group_kind())) inf->project = [this](core::Object& o) { to_cached_form(o); };
  inf->add_handler([this](const kube::InformerEvent& ev) {
    if (ev.type == kube::WatchEventType::kDeleted) store_.remove(ev.object->key());
    else store_.put(ev.object);
  });
  inf->start();
  return inf;
}

void KubeCluster::start_informer(const core::Gvk& gvk) {
  kube::ListOptions opts;
  opts.ns = ns_;
  auto inf = make_informer(gvk, opts);
  {
    std::lock_guard lock(served_mu_);
    served_[gvk.group_kind()] = inf.get();
  }
  std::lock_guard lock(mu_);
  informers_[gvk.group_kind()] = std::move(inf);
}

core::Result<void> KubeCluster::watch_named(const core::ObjectKey& key) {
  if (!ns_.empty() && key.ns != ns_) return {};  // outside the watched namespace: never read
  {
    std::lock_guard lock(mu_);
    if (named_.contains(key)) return {};
  }
  auto gvk = client_.discovery().preferred(key.gk);
  if (!gvk) return std::unexpected(gvk.error().to_error(key.str()));
  kube::ListOptions opts;
  opts.ns = key.ns;
  // The apiserver filters: neither the list nor the watch ever carries another object of the kind.
  opts.field_selector = "metadata.name=" + key.name;
  opts.page_size = 0;
  std::shared_ptr<kube::Informer> inf = make_informer(*gvk, opts);
  std::lock_guard lock(mu_);
  if (stop_ || named_.contains(key)) return {};  // stopping, or a concurrent call won: inf stops here
  named_[key] = std::move(inf);
  return {};
}

void KubeCluster::unwatch_named(const core::ObjectKey& key) {
  std::shared_ptr<kube::Informer> inf;
  {
    std::lock_guard lock(mu_);
    auto it = named_.find(key);
    if (it == named_.end()) return;
    inf = std::move(it->second);
    named_.erase(it);
  }
  inf->stop();  // outside mu_: its thread may be waiting to put into the store
  store_.remove(key);
}

core::Result<void> KubeCluster::start(const std::set<core::GroupKind>& requested) {
  std::set<core::GroupKind> kinds = requested;
  if (kinds.contains(core::kEndpointSliceGk) && kinds.contains(core::kEndpointsGk)) {
    auto slices = client_.discovery().preferred(core::kEndpointSliceGk);
    if (!slices && slices.error().transport())
      return core::fail("cannot reach " + client_.config().server + ": " + slices.error().str());
    // Readers take a Service's slices when it has any, else its Endpoints: one of the two is enough.
    kinds.erase(slices ? core::kEndpointsGk : core::kEndpointSliceGk);
    spdlog::info("endpoints read from kind={}", slices ? "EndpointSlice" : "Endpoints");
  }
  for (const auto& gk : kinds) {
    auto gvk = client_.discovery().preferred(gk);
    if (!gvk) {
      if (gvk.error().transport()) return core::fail("cannot reach " + client_.config().server + ": " + gvk.error().str());
      spdlog::warn("kind not served yet, will retry kind={} error=\"{}\"", gk.str(), gvk.error().str());
      std::lock_guard lock(mu_);
      missing_.insert(gk);
      continue;
    }
    start_informer(*gvk);
  }
  stop_ = false;
  retry_thread_ = std::thread([this] { retry_missing(); });
  return {};
}

void KubeCluster::retry_missing() {
  while (!stop_) {
    for (int i = 0; i < 50 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::set<core::GroupKind> todo;
    {
      std::lock_guard lock(mu_);
      todo = missing_;
    }
    for (const auto& gk : todo) {
      auto gvk = client_.discovery().preferred(gk);
      if (!gvk) continue;
      spdlog::info("kind now served, watching kind={}", gk.str());
      start_informer(*gvk);
      std::lock_guard lock(mu_);
      missing_.erase(gk);
    }
  }
}

bool KubeCluster::wait_synced(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Kinds first: their initial lists start the watches of the objects they name, awaited next.
  for (bool named : {false, true}) {
    std::vector<std::shared_ptr<kube::Informer>> infs;
    {
      std::lock_guard lock(mu_);
      if (named) {
        for (auto& [_, i] : named_) infs.push_back(i);
      } else {
        // Never removed before the destructor: non-owning handles.
        for (auto& [_, i] : informers_) infs.push_back(std::shared_ptr<kube::Informer>(i.get(), [](kube::Informer*) {}));
      }
    }
    for (auto& i : infs) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !i->wait_synced(left)) return false;
    }
  }
  // The first lists parsed pages of whole objects and cut them down; hand the pages that freed back to
  // the system now rather than carrying them until the heap happens to reuse them.
  malloc_trim(0);
  return true;
}

void KubeCluster::stop() {
  stop_ = true;
  if (retry_thread_.joinable()) retry_thread_.join();
  // Joined outside mu_: an informer's handler can reach watch_named() (a PluginManager naming a Secret),
  // which takes mu_.
  std::vector<std::shared_ptr<kube::Informer>> infs;
  {
    std::lock_guard lock(mu_);
    for (auto& [_, i] : informers_) infs.push_back(std::shared_ptr<kube::Informer>(i.get(), [](kube::Informer*) {}));
    for (auto& [_, i] : named_) infs.push_back(i);
  }
  for (auto& i : infs) i->stop();
}

core::Result<void> KubeCluster::apply(const core::Object& desired) {
  auto r = client_.apply(desired);
  if (!r) return std::unexpected(r.error().to_error(desired.ref()));
  // Server-side apply keeps what other writers added; for kinds whose spec Slime owns whole, remove it.
  if (owns_whole_spec(desired.api_version()))
    if (core::Json extra = foreign_removal_patch(desired.spec(), r->spec()); !extra.empty()) {
      core::Json patch = {{"spec", std::move(extra)}};
      patch["metadata"]["resourceVersion"] = r->resource_version();  // only the state just compared
      auto patched = client_.merge_patch(desired.gvk(), desired.ns(), desired.name(), patch);
      if (!patched) return std::unexpected(patched.error().to_error(desired.ref()));
      r = std::move(patched);
    }
  // Show the write to the reconcilers now instead of after the watch round-trip, so a reconcile
  // that runs meanwhile does not write the same thing again.
  put_written(std::move(*r));
  return {};
}

void KubeCluster::to_cached_form(core::Object& o) const {
  projection_.apply(o);
  if (projection_.packs(o)) o.pack();
}

void KubeCluster::put_written(core::Object live) {
  // The watch may have delivered this very version already; then the informer's copy stays the only
  // one (a second, equal copy per written object would double the cache of Sidecars and fences).
  if (auto cur = store_.find(live.key()); cur && !live.resource_version().empty() &&
                                          cur->resource_version() == live.resource_version())
    return;
  if (auto m = live.json().find("metadata"); m != live.json().end() && m->is_object()) m->erase("managedFields");
  to_cached_form(live);  // as the informer caches it, so its equal copy from the watch changes nothing
  store_.put(std::move(live));
}

core::Result<void> KubeCluster::remove(const core::Object& existing) {
  auto r = client_.remove(existing.gvk(), existing.ns(), existing.name());
  if (!r && !r.error().not_found()) return std::unexpected(r.error().to_error(existing.ref()));
  store_.remove(existing.key());
  return {};
}

core::Result<void> KubeCluster::apply_status(const core::Object& target, const core::Json& status) {
  core::Object patch(target.api_version(), target.kind(), target.ns(), target.name());
  patch.json()["status"] = status;
  // A resourceVersion in an apply is a precondition: 409 Conflict when the object changed meanwhile.
  if (auto rv = target.resource_version(); !rv.empty()) patch.json()["metadata"]["resourceVersion"] = rv;
  auto r = client_.apply_status(patch);
  if (!r) return std::unexpected(r.error().to_error(target.ref()));
  put_written(std::move(*r));
  return {};
}

core::Result<void> KubeCluster::set_finalizers(const core::Object& target, const std::vector<std::string>& finalizers) {
  // A merge patch replaces the whole list; the resourceVersion precondition makes sure it replaces the
  // list we computed from, not one another controller has changed meanwhile.
  core::Json meta = {{"finalizers", finalizers.empty() ? core::Json(nullptr) : core::Json(finalizers)}};
  if (auto rv = target.resource_version(); !rv.empty()) meta["resourceVersion"] = rv;
  auto r = client_.merge_patch(target.gvk(), target.ns(), target.name(), {{"metadata", meta}});
  if (!r) {
    if (r.error().not_found()) return {};  // already gone: nothing left to hold
    return std::unexpected(r.error().to_error(target.ref()));
  }
  core::Object live = std::move(*r);
  auto& m = live.json()["metadata"];
  m.erase("managedFields");
  // Releasing the last finalizer of an object being deleted deletes it; the watch confirms.
  if (m.contains("deletionTimestamp") && (!m.contains("finalizers") || m["finalizers"].empty()))
    store_.remove(live.key());
  else {
    to_cached_form(live);
    store_.put(std::move(live));
  }
  return {};
}

core::Result<std::vector<core::Object>> KubeCluster::list_owned(std::string_view module,
                                                                const std::set<core::GroupKind>& kinds) {
  std::vector<core::Object> out;
  kube::ListOptions opts;
  opts.ns = ns_;
  // Label-selected on the server: the answer is what Slime wrote, not every object of the kind.
  opts.label_selector = store::owner_selector(module);
  for (const auto& gk : kinds) {
    auto gvk = client_.discovery().preferred(gk);
    if (!gvk) {
      if (gvk.error().transport()) return std::unexpected(gvk.error().to_error(gk.str()));
      continue;  // kind not served: nothing of it can exist
    }
    auto listed = client_.list(*gvk, opts);
    if (!listed) return std::unexpected(listed.error().to_error(gk.str() + " labelled " + opts.label_selector));
    for (auto& o : listed->items) out.push_back(std::move(o));
  }
  return out;
}

bool KubeCluster::covers(const core::ObjectKey& key) const {
  if (!ns_.empty() && !key.ns.empty() && key.ns != ns_) return false;
  std::lock_guard lock(served_mu_);
  auto it = served_.find(key.gk);
  return it != served_.end() && it->second->synced();
}

void KubeCluster::record_problem(const core::Object& regarding, const std::string& reason, const std::string& message) {
  if (auto r = client_.record_event(regarding, "Warning", reason, message); !r)
    spdlog::warn("cannot record event object=\"{}\" error=\"{}\"", regarding.ref(), r.error().str());
}

void KubeCluster::record_event(const core::Object& regarding, const std::string& type, const std::string& reason,
                               const std::string& message) {
  if (auto r = client_.record_event(regarding, type, reason, message); !r)
    spdlog::warn("cannot record event object=\"{}\" error=\"{}\"", regarding.ref(), r.error().str());
}

uint64_t KubeCluster::watch_restarts() const {
  std::lock_guard lock(mu_);
  uint64_t n = 0;
  for (auto& [_, i] : informers_) n += i->watch_restarts();
  for (auto& [_, i] : named_) n += i->watch_restarts();
  return n;
}

std::vector<core::GroupKind> KubeCluster::missing_kinds() const {
  std::lock_guard lock(mu_);
  return {missing_.begin(), missing_.end()};
}

}  // namespace slime::runtime

#include "slime/runtime/controller.h"

#include <spdlog/spdlog.h>

#include "slime/core/json_diff.h"
#include "slime/runtime/object_diff.h"
#include "slime/store/owner_marks.h"

namespace slime::runtime {
namespace {

using ObjectPtr = store::SharedStore::ObjectPtr;

// Error.object is "Kind namespace/name" or "Kind name".
bool split_ref(const std::string& ref, std::string& kind, std::string& ns, std::string& name) {
  auto sp = ref.find(' ');
  if (sp == std::string::npos) return false;
  kind = ref.substr(0, sp);
  std::string rest = ref.substr(sp + 1);
  auto slash = rest.find('/');
  if (slash == std::string::npos) {
    ns.clear();
    name = rest;
  } else {
    ns = rest.substr(0, slash);
    name = rest.substr(slash + 1);
  }
  return !kind.empty() && !name.empty();
}

}  // namespace

Controller::Controller(core::Module& module, store::Cluster& cluster, Metrics& metrics, ControllerOptions opts)
    : module_(module),
      cluster_(cluster),
      metrics_(metrics),
      compat_(metrics, std::string(module.kind())),
      opts_(opts),
      queue_(opts.queue) {
  for (auto& gk : module_.reads()) reads_.insert(gk);
  for (auto& gk : module_.writes()) writes_.insert(gk);
  if (auto c = module_.cleanup()) finalizer_ = std::make_unique<Finalizer>(*c, writes_, cluster_, metrics_, kind());
}

Controller::~Controller() { stop(); }

void Controller::on_change(const ObjectPtr& old, const ObjectPtr& now) {
  const core::Object& changed = now ? *now : *old;
  auto gk = changed.key().gk;
  if (!reads_.count(gk) && !writes_.count(gk)) return;
  auto keys = cluster_.store().read([&](const core::Snapshot& snap) -> std::vector<std::string> {
    core::RenderContext ctx{snap, no_metrics_, std::chrono::system_clock::now()};
    std::vector<std::string> ks;
    try {
      ks = module_.keys_for(ctx, changed);
    } catch (const std::exception& e) {
      spdlog::error("keys_for threw module={} object=\"{}\" error=\"{}\"", kind(), changed.ref(), e.what());
      return {};
    }
    // A relabelled object may stop matching a key: ask about its previous state too.
    if (old && now) {
      try {
        auto more = module_.keys_for(ctx, *old);
        ks.insert(ks.end(), more.begin(), more.end());
      } catch (const std::exception&) {
      }
    }
    return ks;
  });
  for (auto& k : keys) queue_.add(k);
}

void Controller::enqueue_all() {
  auto keys = cluster_.store().read([&](const core::Snapshot& snap) -> std::vector<std::string> {
    core::RenderContext ctx{snap, no_metrics_, std::chrono::system_clock::now()};
    try {
      return module_.keys(ctx);
    } catch (const std::exception& e) {
      spdlog::error("keys threw module={} error=\"{}\"", kind(), e.what());
      return {};
    }
  });
  // Adopt first: a key whose worker starts before its marked objects are adopted renders without them.
  adopt_marked();
  for (auto& k : keys) queue_.add(k);
  // Resources deleted while no Slime ran left their objects behind.
  if (finalizer_)
    for (auto& k : finalizer_->orphaned_keys()) queue_.add(k);
  // Keys that rendered something before but no longer exist must still be pruned.
  std::lock_guard lock(owned_mu_);
  for (auto& [k, _] : owned_) queue_.add(k);
}

void Controller::adopt_marked() {
  if (!cluster_.marks_owners()) return;
  auto marked = cluster_.list_owned(kind(), writes_);
  if (!marked) {
    // Not fatal: what this process renders is still pruned; only leftovers of earlier runs wait for the
    // next start or leadership gain.
    metrics_.inc("slime_owner_sweep_failures_total", {{"module", kind()}});
    spdlog::error("cannot list objects marked as written module={} error=\"{}\"", kind(), marked.error().str());
    return;
  }
  std::set<std::string> keys;
  {
    std::lock_guard lock(owned_mu_);
    for (const auto& o : *marked) {
      auto mark = store::owner_mark(o);
      if (!mark || mark->module != kind()) continue;
      owned_[mark->key].insert(o.key());
      keys.insert(mark->key);
    }
  }
  // Each key re-renders: what it no longer renders (the key may be gone altogether) is pruned.
  for (const auto& k : keys) queue_.add(k);
  spdlog::info("adopted marked objects module={} objects={} keys={}", kind(), marked->size(), keys.size());
}

void Controller::start() {
  if (!workers_.empty()) return;
  for (int i = 0; i < std::max(1, opts_.workers); ++i) workers_.emplace_back([this] { worker(); });
  if (feed_) {
    std::lock_guard lock(tick_mu_);
    ticking_ = true;
    ticker_ = std::thread([this] { ticker(); });
  }
}

void Controller::stop() {
  {
    std::lock_guard lock(tick_mu_);
    ticking_ = false;
  }
  tick_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  queue_.shutdown();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
}

void Controller::ticker() {
  std::unique_lock lock(tick_mu_);
  while (ticking_) {
    if (tick_cv_.wait_for(lock, feed_->period(), [this] { return !ticking_; })) break;
    lock.unlock();
    try {
      refresh_metrics();
    } catch (const std::exception& e) {
      spdlog::error("metric refresh threw module={} error=\"{}\"", kind(), e.what());
    }
    lock.lock();
  }
}

size_t Controller::refresh_metrics() {
  if (!feed_) return 0;
  auto start = std::chrono::steady_clock::now();
  // Plan under the store's read lock; ask Prometheus without it (writers must not wait on the network).
  std::vector<std::pair<std::string, std::vector<core::MetricRequest>>> plan;
  std::set<core::MetricRequest> live;
  cluster_.store().read([&](const core::Snapshot& snap) {
    core::RenderContext ctx{snap, no_metrics_, std::chrono::system_clock::now()};
    for (auto& key : module_.keys(ctx)) {
      auto requests = module_.metric_requests(ctx, key);
      if (requests.empty()) continue;
      live.insert(requests.begin(), requests.end());
      plan.emplace_back(std::move(key), std::move(requests));
    }
  });
  auto changed = feed_->refresh(live);
  size_t queued = 0;
  for (auto& [key, requests] : plan)
    for (auto& r : requests)
      if (changed.count(r)) {
        queue_.add(key);
        ++queued;
        break;
      }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.observe("slime_metric_refresh_duration_seconds", {{"module", kind()}}, secs);
  spdlog::debug("metric refresh module={} queries={} changed={} keys_queued={} seconds={:.3f}", kind(), live.size(),
                changed.size(), queued, secs);
  return queued;
}

void Controller::schedule_revisit(const std::string& key, std::chrono::system_clock::time_point at) {
  auto now = std::chrono::system_clock::now();
  {
    // One pending revisit per key (the earliest): every reconcile of a progressing key asks for one.
    std::lock_guard lock(owned_mu_);
    auto it = revisits_.find(key);
    if (it != revisits_.end() && it->second > now && it->second <= at) return;
    revisits_[key] = at;
  }
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
  // A little late rather than early: a step due at `at` must see now >= at when it runs.
  queue_.add_after(key, std::max(delay + std::chrono::milliseconds(5), std::chrono::milliseconds(0)));
}

bool Controller::owns(const core::ObjectKey& key) {
  const std::string encoded = OwnedKeys::encode(key);
  std::lock_guard lock(owned_mu_);
  for (auto& [_, keys] : owned_)
    if (keys.contains_encoded(encoded)) return true;
  return false;
}

bool Controller::idle() const { return queue_.pending() == 0; }

void Controller::worker() {
  while (auto key = queue_.get()) {
    auto start = std::chrono::steady_clock::now();
    bool ok = false;
    try {
      ok = reconcile(*key);
    } catch (const std::exception& e) {
      // A module bug must cost one key a retry, not the process.
      spdlog::error("reconcile threw module={} key={} error=\"{}\"", kind(), *key, e.what());
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Labels l{{"module", kind()}};
    metrics_.inc("slime_reconcile_total", {{"module", kind()}, {"result", ok ? "success" : "error"}});
    metrics_.observe("slime_reconcile_duration_seconds", l, secs);
    compat_.reconcile(*key, ok);
    if (ok) queue_.forget(*key);
    else queue_.add_rate_limited(*key);
    queue_.done(*key);
    ++reconciles_;
  }
}

const core::Object* Controller::find_regarding(const core::Snapshot& snap, const core::Error& e) const {
  std::string kind, ns, name;
  if (!split_ref(e.object, kind, ns, name)) return nullptr;
  for (const auto& gk : reads_)
    if (gk.kind == kind)
      if (auto* o = snap.get({gk, ns, name})) return o;
  return nullptr;
}

bool Controller::reconcile(const std::string& key) {
  struct Write {
    core::Object desired;
    bool create;  // nothing live yet
  };
  struct StatusWrite {
    core::Object target;
    core::Json status;
  };
  struct Problem {
    core::Object regarding;
    std::string message;
  };
  std::vector<Write> writes;
  std::vector<StatusWrite> status_writes;
  std::vector<Problem> problems;
  std::set<core::ObjectKey> rendered;
  std::string problem_text;
  std::vector<core::Object> prunes;
  CleanupPlan cleanup;
  std::vector<Problem> events;  // regarding + "type\nreason\nmessage"
  std::vector<core::ModuleEvent> module_events;
  std::optional<std::chrono::system_clock::time_point> revisit_at;

  std::set<core::ObjectKey> previously;
  {
    std::lock_guard lock(owned_mu_);
    if (auto it = owned_.find(key); it != owned_.end()) previously = it->second.keys();
  }

  // Metric answers first (network, outside the store lock); the module then renders from exactly these.
  metric::MetricCache answers;
  if (feed_) {
    auto requests = cluster_.store().read([&](const core::Snapshot& snap) {
      core::RenderContext ctx{snap, no_metrics_, std::chrono::system_clock::now()};
      return module_.metric_requests(ctx, key);
    });
    if (!requests.empty()) answers = feed_->answers(requests);
  }

  // One consistent read: the module's input, and the live state to compare its output with.
  cluster_.store().read([&](const core::Snapshot& snap) {
    core::RenderContext ctx{snap, answers, std::chrono::system_clock::now()};
    core::ModuleOutput out = module_.reconcile(ctx, key);
    bool mark = cluster_.marks_owners();
    for (auto& o : out.objects) {
      if (mark) store::mark_owner(o, kind(), key);
      auto k = o.key();
      rendered.insert(k);
      const core::Object* live = snap.get(k);
      // Kinds whose spec Slime owns whole: what another writer added to it is drift too.
      bool added = live && owns_whole_spec(o.api_version()) && !foreign_removal_patch(o.spec(), live->spec()).empty();
      if (!live || added || !contains_desired(o.json(), live->json())) writes.push_back({std::move(o), live == nullptr});
    }
    for (auto& s : out.statuses) {
      const core::Object* target = snap.get(s.key);
      if (!target) continue;  // deleted meanwhile; nothing to report on
      if (core::json_equal(target->status(), s.status)) continue;
      status_writes.push_back({*target, std::move(s.status)});
    }
    for (auto& p : out.problems) {
      problem_text += p.str() + "\n";
      if (auto* o = find_regarding(snap, p)) problems.push_back({*o, p.str()});
      else spdlog::warn("module={} key={} problem=\"{}\"", kind(), key, p.str());
    }
    for (auto& k : previously)
      if (!rendered.count(k))
        if (auto* live = snap.get(k)) {
          // Another key of this module has rendered it since (its mark names that key): not ours to prune.
          if (auto m = store::owner_mark(*live); m && (m->module != kind() || m->key != key)) continue;
          prunes.push_back(*live);
        }
    if (finalizer_) cleanup = finalizer_->plan(snap, key, previously, rendered);
    for (auto& ev : out.events)
      if (auto* o = snap.get(ev.regarding)) {
        events.push_back({*o, {}});
        module_events.push_back(std::move(ev));
      }
    revisit_at = out.revisit_at;
  });

  bool ok = true;
  for (auto& w : writes) {
    auto r = cluster_.apply(w.desired);
    metrics_.inc("slime_writes_total", {{"module", kind()}, {"op", "apply"}, {"result", r ? "success" : "error"}});
    compat_.write(w.create ? WriteOp::kCreate : WriteOp::kUpdate, w.desired.kind(), w.desired.ns(), w.desired.name(),
                  r.has_value());
    if (!r) {
      ok = false;
      spdlog::warn("apply failed module={} key={} object=\"{}\" error=\"{}\"", kind(), key, w.desired.ref(), r.error().str());
    } else {
      spdlog::debug("applied module={} key={} object=\"{}\"", kind(), key, w.desired.ref());
    }
  }
  for (auto& p : prunes) {
    auto r = cluster_.remove(p);
    metrics_.inc("slime_writes_total", {{"module", kind()}, {"op", "delete"}, {"result", r ? "success" : "error"}});
    compat_.write(WriteOp::kDelete, p.kind(), p.ns(), p.name(), r.has_value());
    if (!r) {
      ok = false;
      spdlog::warn("prune failed module={} key={} object=\"{}\" error=\"{}\"", kind(), key, p.ref(), r.error().str());
      rendered.insert(p.key());  // still ours: try again next time
    }
  }
  if (finalizer_ && !finalizer_->execute(cleanup, key, ok)) ok = false;
  for (auto& s : status_writes) {
    auto r = cluster_.apply_status(s.target, s.status);
    metrics_.inc("slime_writes_total", {{"module", kind()}, {"op", "status"}, {"result", r ? "success" : "error"}});
    if (!r) {
      ok = false;
      spdlog::warn("status update failed module={} key={} object=\"{}\" error=\"{}\"", kind(), key, s.target.ref(),
                   r.error().str());
    }
  }
  // Events describe transitions the statuses record: only once those are written (a failed write
  // retries the key, which renders the same transition and its event again).
  if (ok)
    for (size_t i = 0; i < events.size(); ++i) {
      const auto& ev = module_events[i];
      spdlog::info("event module={} object=\"{}\" type={} reason={} message=\"{}\"", kind(), events[i].regarding.ref(),
                   ev.type, ev.reason, ev.message);
      cluster_.record_event(events[i].regarding, ev.type, ev.reason, ev.message);
    }
  if (revisit_at) schedule_revisit(key, *revisit_at);
  {
    std::lock_guard lock(owned_mu_);
    // Objects adopted for this key while it rendered (adopt_marked on start or leadership gain) were not
    // in `previously`, so this pass could not prune them: keep them for the pass adopt_marked queued.
    // Overwriting them lost the adoption, and a stale object stayed forever (seen under load).
    if (auto it = owned_.find(key); it != owned_.end())
      for (const auto& k : it->second.keys())
        if (!previously.count(k)) rendered.insert(k);
    if (rendered.empty()) owned_.erase(key);
    else owned_[key] = OwnedKeys(rendered);
    // Report each distinct set of problems once, not on every reconcile.
    auto& last = reported_[key];
    if (last != problem_text) {
      last = problem_text;
      metrics_.inc("slime_problems_total", {{"module", kind()}}, static_cast<double>(problems.size()));
      compat_.problems(problems.size());
      for (auto& p : problems) {
        spdlog::warn("invalid resource module={} object=\"{}\" problem=\"{}\"", kind(), p.regarding.ref(), p.message);
        cluster_.record_problem(p.regarding, "InvalidSpec", p.message);
      }
    }
    if (problem_text.empty()) reported_.erase(key);
  }
  return ok;
}

}  // namespace slime::runtime

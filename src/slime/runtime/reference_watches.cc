#include "slime/runtime/reference_watches.h"

#include <spdlog/spdlog.h>

namespace slime::runtime {

ReferenceWatches::ReferenceWatches(store::Cluster& cluster, const std::vector<core::Module*>& modules, size_t max_watches)
    : cluster_(cluster), max_watches_(max_watches) {
  if (!cluster_.watches_by_name()) return;
  // A kind stays watched whole as soon as one module reads it without declaring it referenced-only.
  std::set<core::GroupKind> whole;
  std::set<core::GroupKind> referenced;
  for (const auto* m : modules) {
    std::set<core::GroupKind> mine;
    for (const auto& r : m->referenced_only()) {
      mine.insert(r.kind);
      referenced.insert(r.kind);
    }
    for (const auto& gk : m->reads())
      if (!mine.contains(gk)) whole.insert(gk);
  }
  for (const auto& gk : referenced)
    if (!whole.contains(gk)) by_reference_.insert(gk);
  for (auto* m : modules)
    for (const auto& r : m->referenced_only())
      if (by_reference_.contains(r.kind))
        for (const auto& from : r.from)
          if (from != r.kind) from_.emplace(from, std::make_pair(m, r.kind));
}

void ReferenceWatches::on_change(const store::SharedStore::ObjectPtr& old, const store::SharedStore::ObjectPtr& now) {
  const core::Object* any = now ? now.get() : old.get();
  if (!any) return;
  core::ObjectKey referrer = any->key();
  auto [begin, end] = from_.equal_range(referrer.gk);
  if (begin == end) return;
  std::set<core::ObjectKey> names;
  if (now) {
    for (auto it = begin; it != end; ++it) {
      const auto& [module, kind] = it->second;
      try {
        for (auto& k : module->references(*now))
          if (k.gk == kind) names.insert(std::move(k));
      } catch (const std::exception& e) {
        spdlog::warn("references failed module={} object=\"{}\" error=\"{}\"", module->kind(), now->ref(), e.what());
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    auto& before = named_by_[referrer];
    if (before == names) {
      if (names.empty()) named_by_.erase(referrer);
      return;
    }
    for (const auto& k : before)
      if (auto w = wanted_.find(k); w != wanted_.end() && --w->second == 0) wanted_.erase(w);
    for (const auto& k : names) ++wanted_[k];
    if (names.empty()) named_by_.erase(referrer);
    else before = std::move(names);
  }
  sync();
}

void ReferenceWatches::sync() {
  std::lock_guard serial(sync_mu_);
  std::vector<core::ObjectKey> to_stop, to_start;
  {
    std::lock_guard lock(mu_);
    for (const auto& k : running_)
      if (!wanted_.contains(k)) to_stop.push_back(k);
    for (const auto& [k, _] : wanted_)
      if (!running_.contains(k)) to_start.push_back(k);
  }
  for (const auto& k : to_stop) {
    cluster_.unwatch_named(k);
    spdlog::info("stopped watch of unreferenced object=\"{}\"", k.str());
    std::lock_guard lock(mu_);
    running_.erase(k);
  }
  size_t refused = 0;
  for (const auto& k : to_start) {
    {
      std::lock_guard lock(mu_);
      if (running_.size() >= max_watches_) {
        ++refused;
        continue;
      }
    }
    if (auto r = cluster_.watch_named(k); !r) {
      spdlog::warn("cannot watch referenced object=\"{}\" error=\"{}\"", k.str(), r.error().str());
      ++refused;
      continue;
    }
    spdlog::info("watching referenced object=\"{}\"", k.str());
    std::lock_guard lock(mu_);
    running_.insert(k);
  }
  std::lock_guard lock(mu_);
  if (refused > 0 && refused != over_limit_)
    spdlog::error("referenced objects not watched: more than {} are referenced count={}", max_watches_, refused);
  over_limit_ = refused;
}

size_t ReferenceWatches::watched() const {
  std::lock_guard lock(mu_);
  return running_.size();
}

size_t ReferenceWatches::over_limit() const {
  std::lock_guard lock(mu_);
  return over_limit_;
}

}  // namespace slime::runtime

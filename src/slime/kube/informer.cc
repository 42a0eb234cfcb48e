#include "slime/kube/informer.h"

#include <spdlog/spdlog.h>

namespace slime::kube {

using core::Object;

Informer::Informer(Client& client, core::Gvk gvk, ListOptions opts)
    : client_(client), gvk_(std::move(gvk)), opts_(std::move(opts)) {
  opts_.page_size = opts_.page_size > 0 ? opts_.page_size : 500;
}

Informer::~Informer() { stop(); }

void Informer::add_handler(Handler h) { handlers_.push_back(std::move(h)); }
void Informer::add_index(const std::string& name, IndexFn fn) { index_fns_[name] = std::move(fn); }

void Informer::start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void Informer::stop() {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Informer::wait_synced(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return synced_.load() || stop_.load(); }) && synced_.load();
}

std::vector<ObjectPtr> Informer::list() const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(cache_.size());
  for (auto& [k, v] : cache_) out.push_back(v);
  return out;
}

ObjectPtr Informer::get(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = cache_.find({ns, name});
  if (it == cache_.end()) return nullptr;
  return it->second;
}

std::vector<ObjectPtr> Informer::by_index(const std::string& index, const std::string& value) const {
  std::lock_guard lock(mu_);
  std::vector<ObjectPtr> out;
  auto i = indexes_.find(index);
  if (i == indexes_.end()) return out;
  auto v = i->second.find(value);
  if (v == i->second.end()) return out;
  for (const auto& key : v->second)
    if (auto it = cache_.find(key); it != cache_.end()) out.push_back(it->second);
  return out;
}

size_t Informer::size() const {
  std::lock_guard lock(mu_);
  return cache_.size();
}

std::string Informer::resource_version() const {
  std::lock_guard lock(mu_);
  return rv_;
}

void Informer::index_locked(const Key& key, const Object& obj) {
  for (auto& [name, fn] : index_fns_)
    for (auto& value : fn(obj)) indexes_[name][value].insert(key);
}

void Informer::unindex_locked(const Key& key, const Object& obj) {
  for (auto& [name, fn] : index_fns_) {
    auto& idx = indexes_[name];
    for (auto& value : fn(obj)) {
      auto it = idx.find(value);
      if (it == idx.end()) continue;
      it->second.erase(key);
      if (it->second.empty()) idx.erase(it);
    }
  }
}

void Informer::prepare(Object& obj) const {
  if (auto m = obj.json().find("metadata"); strip_managed_fields && m != obj.json().end() && m->is_object()) {
    m->erase("managedFields");
    if (auto a = m->find("annotations"); a != m->end() && a->is_object()) {
      a->erase("kubectl.kubernetes.io/last-applied-configuration");
      if (a->empty()) m->erase(a);
    }
  }
  if (project) project(obj);
}

void Informer::upsert(Object obj, std::vector<InformerEvent>& out, bool prepared) {
  if (!prepared) prepare(obj);
  std::lock_guard lock(mu_);
  Key key{obj.ns(), obj.name()};
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    auto ptr = std::make_shared<const Object>(std::move(obj));
    index_locked(key, *ptr);
    out.push_back({WatchEventType::kAdded, ptr});
    cache_.emplace(key, std::move(ptr));
    return;
  }
  // Same resourceVersion = same state (a relist re-reading an unchanged object): nothing to emit.
  if (it->second->resource_version() == obj.resource_version() && !obj.resource_version().empty()) return;
  auto ptr = std::make_shared<const Object>(std::move(obj));
  unindex_locked(key, *it->second);
  index_locked(key, *ptr);
  out.push_back({WatchEventType::kModified, ptr});
  it->second = std::move(ptr);
}

void Informer::erase(const Object& obj, std::vector<InformerEvent>& out) {
  std::lock_guard lock(mu_);
  Key key{obj.ns(), obj.name()};
  auto it = cache_.find(key);
  if (it == cache_.end()) return;
  unindex_locked(key, *it->second);
  // The watch's DELETED carries the final state; a relist only knows the cached one.
  out.push_back({WatchEventType::kDeleted, std::make_shared<const Object>(obj)});
  cache_.erase(it);
}

void Informer::dispatch(const std::vector<InformerEvent>& events) {
  for (const auto& ev : events)
    for (const auto& h : handlers_) h(ev);
}

bool Informer::relist() {
  ListOptions opts = opts_;
  opts.each = [this](Object& o) { prepare(o); };  // page by page, so the whole list is never held whole
  auto listed = client_.list(gvk_, opts);
  if (!listed) {
    spdlog::warn("informer list failed gvk={} error=\"{}\"", gvk_.api_version() + "/" + gvk_.kind, listed.error().str());
    return false;
  }
  ++relists_;
  std::vector<InformerEvent> events;
  std::set<Key> seen;
  for (auto& obj : listed->items) {
    seen.insert({obj.ns(), obj.name()});
    upsert(std::move(obj), events, true);
  }
  std::vector<Object> gone;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, obj] : cache_)
      if (!seen.contains(key)) gone.push_back(*obj);
    rv_ = listed->resource_version;
  }
  for (auto& obj : gone) erase(obj, events);
  dispatch(events);
  if (!synced_.exchange(true)) {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
  return true;
}

void Informer::sleep_backoff(std::chrono::milliseconds& backoff) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, backoff, [&] { return stop_.load(); });
  backoff = std::min(backoff * 2, backoff_max);
}

void Informer::run() {
  auto backoff = backoff_initial;
  // A restarted informer resumes from its resourceVersion; only an expired one costs a relist.
  bool need_list = resource_version().empty();
  while (!stop_) {
    if (need_list) {
      if (!relist()) {
        sleep_backoff(backoff);
        continue;
      }
      need_list = false;
    }
    bool got_event = false;
    auto on_event = [&](WatchEvent& ev) {
      if (stop_) return false;
      got_event = true;
      std::string rv = ev.object.resource_version();
      std::vector<InformerEvent> events;
      switch (ev.type) {
        case WatchEventType::kAdded:
        case WatchEventType::kModified: upsert(std::move(ev.object), events); break;
        case WatchEventType::kDeleted: erase(ev.object, events); break;
        case WatchEventType::kBookmark: break;
      }
      if (!rv.empty()) {
        std::lock_guard lock(mu_);
        rv_ = std::move(rv);
      }
      dispatch(events);
      return true;
    };
    auto result = client_.watch(gvk_, opts_, resource_version(), on_event, &stop_);
    if (stop_) break;
    if (result) {
      // The server ended the stream (timeoutSeconds): resume from where we are.
      std::lock_guard lock(mu_);
      if (!result->empty()) rv_ = *result;
      backoff = backoff_initial;
      continue;
    }
    ++watch_restarts_;
    if (result.error().gone()) {
      spdlog::info("informer resourceVersion expired, relisting gvk={}", gvk_.api_version() + "/" + gvk_.kind);
      need_list = true;
      continue;  // relist immediately: this is routine, not a failure
    }
    spdlog::warn("informer watch failed gvk={} error=\"{}\"", gvk_.api_version() + "/" + gvk_.kind, result.error().str());
    if (got_event) backoff = backoff_initial;
    sleep_backoff(backoff);
  }
}

}  // namespace slime::kube

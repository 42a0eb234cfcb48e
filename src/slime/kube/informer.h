#pragma once
// List+watch cache of one GVK (optionally one namespace / selector), like client-go's informer:
// lists, then watches from the list's resourceVersion; reconnects after a broken stream with capped
// exponential backoff; on 410 Gone (compacted resourceVersion) relists and emits only the difference
// against the cache, so consumers see deletions that happened while they were not watching.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "slime/kube/client.h"

namespace slime::kube {

using ObjectPtr = std::shared_ptr<const core::Object>;

struct InformerEvent {
  WatchEventType type;  // kAdded, kModified or kDeleted (bookmarks are not forwarded)
  ObjectPtr object;     // for deletions: the last known state
};

class Informer {
 public:
  using Handler = std::function<void(const InformerEvent&)>;
  using IndexFn = std::function<std::vector<std::string>(const core::Object&)>;

  Informer(Client& client, core::Gvk gvk, ListOptions opts = {});
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Both must be called before start(). Handlers run on the informer's thread, after the cache is
  // updated, so a handler reading the cache sees the event's state (or a newer one).
  void add_handler(Handler h);
  void add_index(const std::string& name, IndexFn fn);

  void start();
  void stop();
  bool synced() const { return synced_.load(); }
  bool wait_synced(std::chrono::milliseconds timeout) const;

  std::vector<ObjectPtr> list() const;
  ObjectPtr get(const std::string& ns, const std::string& name) const;
  std::vector<ObjectPtr> by_index(const std::string& index, const std::string& value) const;
  size_t size() const;

  const core::Gvk& gvk() const { return gvk_; }
  uint64_t watch_restarts() const { return watch_restarts_.load(); }
  uint64_t relists() const { return relists_.load(); }
  std::string resource_version() const;

  // Backoff bounds between failed attempts.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  // managedFields and kubectl's last-applied-configuration annotation (a second copy of the object as
  // `kubectl apply` wrote it) are large and never read by Slime: dropping managedFields alone roughly
  // halves cache memory.
  bool strip_managed_fields = true;
  // Cuts each object down to what is read of it before it is cached (set before start(); see
  // core/projection.h). Empty: objects are cached as received.
  std::function<void(core::Object&)> project;

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  void run();
  bool relist();  // false on failure
  // Strips what is never read and applies `project`: what the cache keeps of an object.
  void prepare(core::Object& obj) const;
  void upsert(core::Object obj, std::vector<InformerEvent>& out, bool prepared = false);
  void erase(const core::Object& obj, std::vector<InformerEvent>& out);
  void unindex_locked(const Key& key, const core::Object& obj);
  void index_locked(const Key& key, const core::Object& obj);
  void dispatch(const std::vector<InformerEvent>& events);
  void sleep_backoff(std::chrono::milliseconds& backoff);

  Client& client_;
  core::Gvk gvk_;
  ListOptions opts_;
  std::vector<Handler> handlers_;
  std::map<std::string, IndexFn> index_fns_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<Key, ObjectPtr> cache_;
  std::map<std::string, std::map<std::string, std::set<Key>>> indexes_;
  std::string rv_;

  std::atomic<bool> stop_{false};
  std::atomic<bool> synced_{false};
  std::atomic<uint64_t> watch_restarts_{0};
  std::atomic<uint64_t> relists_{0};
  std::thread thread_;
};

}  // namespace slime::kube

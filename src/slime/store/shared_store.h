#pragma once
// The controller's view of the world: one MemoryStore behind a reader/writer lock, with change
// listeners. Feeders (informers, the manifest directory) write; reconcilers read a consistent
// Snapshot for the duration of one pure module call. Objects are immutable and shared
// (shared_ptr<const Object>), so an informer's cache and this store hold one copy between them.
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "slime/store/memory_store.h"
#include "slime/core/unpack_scope.h"

namespace slime::store {

class SharedStore {
 public:
  using ObjectPtr = MemoryStore::ObjectPtr;
  // old == null: added; now == null: deleted. Called after the store is updated, without its lock.
  using Listener = std::function<void(const ObjectPtr& old, const ObjectPtr& now)>;

  // Register before feeding starts; listeners are not removed.
  void subscribe(Listener l);

  // Returns false (and notifies nobody) when an equal object was already stored.
  bool put(ObjectPtr object);
  bool put(core::Object object) { return put(std::make_shared<const core::Object>(std::move(object))); }
  // Returns false when there was nothing to remove.
  bool remove(const core::ObjectKey& key);

  ObjectPtr find(const core::ObjectKey& key) const;
  std::vector<ObjectPtr> all() const;
  size_t size() const;

  // Runs f(const core::Snapshot&) under the read lock: the pointers f sees stay valid during f. Packed
  // objects (core::Object::pack) read whole in f: each is unpacked on its first json()/spec() in this
  // call and dropped after it (core/unpack_scope.h).
  template <typename F>
  auto read(F&& f) const {
    std::shared_lock lock(mu_);
    core::UnpackScope scope;
    return f(static_cast<const core::Snapshot&>(mem_));
  }

 private:
  void notify(const ObjectPtr& old, const ObjectPtr& now);

  mutable std::shared_mutex mu_;
  MemoryStore mem_;
  std::vector<Listener> listeners_;
};

}  // namespace slime::store

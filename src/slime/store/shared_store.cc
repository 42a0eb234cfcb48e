#include "slime/store/shared_store.h"

namespace slime::store {

void SharedStore::subscribe(Listener l) {
  std::unique_lock lock(mu_);
  listeners_.push_back(std::move(l));
}

bool SharedStore::put(ObjectPtr object) {
  ObjectPtr old;
  {
    std::unique_lock lock(mu_);
    old = mem_.find(object->key());
    if (!mem_.put(object)) return false;
  }
  notify(old, object);
  return true;
}

bool SharedStore::remove(const core::ObjectKey& key) {
  ObjectPtr old;
  {
    std::unique_lock lock(mu_);
    old = mem_.remove(key);
  }
  if (!old) return false;
  notify(old, nullptr);
  return true;
}

SharedStore::ObjectPtr SharedStore::find(const core::ObjectKey& key) const {
  std::shared_lock lock(mu_);
  return mem_.find(key);
}

std::vector<SharedStore::ObjectPtr> SharedStore::all() const {
  std::shared_lock lock(mu_);
  return mem_.all();
}

size_t SharedStore::size() const {
  std::shared_lock lock(mu_);
  return mem_.size();
}

void SharedStore::notify(const ObjectPtr& old, const ObjectPtr& now) {
  // listeners_ only grows before feeding starts, so reading it without the lock is safe here.
  for (const auto& l : listeners_) l(old, now);
}

}  // namespace slime::store

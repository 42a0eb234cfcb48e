#include "slime/store/memory_store.h"

#include "slime/core/json_diff.h"

namespace slime::store {

const core::Object* MemoryStore::get(const core::ObjectKey& key) const {
  auto p = find(key);
  return p.get();
}

MemoryStore::ObjectPtr MemoryStore::find(const core::ObjectKey& key) const {
  auto k = by_kind_.find(key.gk);
  if (k == by_kind_.end()) return nullptr;
  auto it = k->second.find(NsName{key.ns, key.name});
  return it == k->second.end() ? nullptr : it->second;
}

std::vector<const core::Object*> MemoryStore::list(const core::GroupKind& gk, std::string_view ns) const {
  std::vector<const core::Object*> out;
  auto k = by_kind_.find(gk);
  if (k == by_kind_.end()) return out;
  if (ns.empty()) {
    out.reserve(k->second.size());
    for (auto& [_, o] : k->second) out.push_back(o.get());
    return out;
  }
  // Entries are sorted by (namespace, name): scan only this namespace's range.
  for (auto it = k->second.lower_bound(NsName{std::string(ns), std::string()}); it != k->second.end(); ++it) {
    if (it->first.first != ns) break;
    out.push_back(it->second.get());
  }
  return out;
}

bool MemoryStore::put(core::Object object) { return put(std::make_shared<const core::Object>(std::move(object))); }

bool MemoryStore::put(ObjectPtr object) {
  auto key = object->key();
  auto& slot = by_kind_[key.gk][NsName{key.ns, key.name}];
  bool changed = !slot || !slot->same_as(*object);
  // An equal object still takes the slot: a feeder that keeps its own copy (an informer's cache) then
  // shares it with the store instead of both holding one, which at 10,000s of objects is the
  // difference between one copy of the cluster in memory and two.
  slot = std::move(object);
  return changed;
}

MemoryStore::ObjectPtr MemoryStore::remove(const core::ObjectKey& key) {
  auto k = by_kind_.find(key.gk);
  if (k == by_kind_.end()) return nullptr;
  auto it = k->second.find(NsName{key.ns, key.name});
  if (it == k->second.end()) return nullptr;
  ObjectPtr out = std::move(it->second);
  k->second.erase(it);
  if (k->second.empty()) by_kind_.erase(k);
  return out;
}

size_t MemoryStore::size() const {
  size_t n = 0;
  for (auto& [_, m] : by_kind_) n += m.size();
  return n;
}

std::vector<MemoryStore::ObjectPtr> MemoryStore::all() const {
  std::vector<ObjectPtr> out;
  out.reserve(size());
  for (auto& [_, m] : by_kind_)
    for (auto& [__, o] : m) out.push_back(o);
  return out;
}

}  // namespace slime::store

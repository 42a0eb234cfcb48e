#pragma once
// An in-memory object set indexed by group/kind then namespace/name. It is the Snapshot `slime render`
// feeds to modules, and the building block of the controller's caches.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "slime/core/snapshot.h"

namespace slime::store {

class MemoryStore final : public core::Snapshot {
 public:
  using ObjectPtr = std::shared_ptr<const core::Object>;

  const core::Object* get(const core::ObjectKey& key) const override;
  std::vector<const core::Object*> list(const core::GroupKind& gk, std::string_view ns = {}) const override;

  // Inserts or replaces. Returns false when an equal object was already stored (nothing changed; the
  // slot then holds the new pointer, so callers can share one copy).
  bool put(core::Object object);
  bool put(ObjectPtr object);
  // Returns the removed object, or null when there was none.
  ObjectPtr remove(const core::ObjectKey& key);
  ObjectPtr find(const core::ObjectKey& key) const;

  size_t size() const;
  // Every object, ordered by group/kind, namespace, name.
  std::vector<ObjectPtr> all() const;

 private:
  using NsName = std::pair<std::string, std::string>;
  std::map<core::GroupKind, std::map<NsName, ObjectPtr, std::less<>>> by_kind_;
};

}  // namespace slime::store

#pragma once
// A Snapshot over a MemoryStore that hands readers whole objects: a packed object (core::Object::pack,
// what the cluster cache keeps of the Sidecars Slime wrote) is unpacked on first access and kept for the
// lifetime of this view, i.e. one SharedStore::read(). Objects that are not packed are passed through.
#include <map>
#include <memory>
#include <vector>

#include "slime/core/snapshot.h"

namespace slime::store {

class UnpackingSnapshot final : public core::Snapshot {
 public:
  explicit UnpackingSnapshot(const core::Snapshot& base) : base_(base) {}
  const core::Object* get(const core::ObjectKey& key) const override;
  std::vector<const core::Object*> list(const core::GroupKind& gk, std::string_view ns = {}) const override;

 private:
  const core::Object* whole(const core::Object* o) const;

  const core::Snapshot& base_;
  // One reader per view (a view lives inside one read call on one thread): no lock.
  mutable std::map<const core::Object*, std::unique_ptr<const core::Object>> unpacked_;
};

}  // namespace slime::store

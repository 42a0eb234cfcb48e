#include "slime/store/unpacking_snapshot.h"

namespace slime::store {

const core::Object* UnpackingSnapshot::whole(const core::Object* o) const {
  if (!o || !o->packed()) return o;
  auto& slot = unpacked_[o];
  if (!slot) slot = std::make_unique<const core::Object>(o->unpacked());
  return slot.get();
}

const core::Object* UnpackingSnapshot::get(const core::ObjectKey& key) const { return whole(base_.get(key)); }

std::vector<const core::Object*> UnpackingSnapshot::list(const core::GroupKind& gk, std::string_view ns) const {
  auto out = base_.list(gk, ns);
  for (auto& o : out) o = whole(o);
  return out;
}

}  // namespace slime::store

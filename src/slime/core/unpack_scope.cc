#include "slime/core/unpack_scope.h"

namespace slime::core {
namespace {
thread_local UnpackScope* innermost = nullptr;
}  // namespace

UnpackScope::UnpackScope() : previous_(innermost) { innermost = this; }

UnpackScope::~UnpackScope() { innermost = previous_; }

UnpackScope* UnpackScope::current() { return innermost; }

const Json& UnpackScope::tree(const Bytes& bytes) {
  auto [it, added] = trees_.try_emplace(bytes.get());
  if (added) {
    it->second.first = bytes;
    // Our own bytes, packed from a valid tree: should they not unpack, the object reads as empty.
    it->second.second = Json::from_msgpack(*bytes, true, false);
    if (it->second.second.is_discarded()) it->second.second = Json::object();
  }
  return it->second.second;
}

}  // namespace slime::core

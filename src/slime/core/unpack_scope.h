#pragma once
// Where the trees of packed objects (core::Object::pack) live while someone reads them. A cache keeps an
// object packed; the first json()/spec()/status() call on it inside a scope unpacks it once, and the tree
// stays until the scope ends. SharedStore::read() opens one around every reader, so modules and the
// controller's comparison see whole objects and pay only for those they look into; names, labels and
// versions are read from the bytes without a tree (core/msgpack_view.h).
//
// A scope belongs to the thread that opened it and nests (the innermost serves). Outside any scope a
// packed object's tree reads as null: runtime code that is not inside a store read reads only the envelope
// accessors, or opens a scope of its own.
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "slime/core/json.h"

namespace slime::core {

class UnpackScope {
 public:
  using Bytes = std::shared_ptr<const std::vector<std::uint8_t>>;

  UnpackScope();
  ~UnpackScope();
  UnpackScope(const UnpackScope&) = delete;
  UnpackScope& operator=(const UnpackScope&) = delete;

  // The innermost scope open on this thread, or null.
  static UnpackScope* current();

  // The tree of `bytes`, unpacked on first use. Kept (with the bytes it came from) until the scope ends,
  // so the reference stays valid even if every copy of the object is dropped meanwhile.
  const Json& tree(const Bytes& bytes);

  // How many packed objects this scope unpacked.
  std::size_t unpacked() const { return trees_.size(); }

 private:
  UnpackScope* previous_;
  std::map<const void*, std::pair<Bytes, Json>> trees_;
};

}  // namespace slime::core

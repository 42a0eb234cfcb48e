#pragma once
// The objects one reconcile key rendered, as the controller remembers them between reconciles to prune
// what a key no longer renders. At 50,000 Services lazyload has 100,000 keys, and a std::set of
// ObjectKeys (four strings and a tree node per object) cost ≈ 370 bytes per key; this keeps each object
// as one string (group, kind, namespace and name joined by NUL, which no Kubernetes name contains) in a
// sorted vector: ≈ 240 bytes per key.
#include <set>
#include <string>
#include <vector>

#include "slime/core/gvk.h"

namespace slime::runtime {

class OwnedKeys {
 public:
  OwnedKeys() = default;
  explicit OwnedKeys(const std::set<core::ObjectKey>& keys);

  void insert(const core::ObjectKey& key);
  bool contains(const core::ObjectKey& key) const { return contains_encoded(encode(key)); }
  // For one key looked up in many sets (Controller::owns): encode it once.
  static std::string encode(const core::ObjectKey& key);
  bool contains_encoded(const std::string& encoded) const;
  std::set<core::ObjectKey> keys() const;
  bool empty() const { return encoded_.empty(); }

 private:
  std::vector<std::string> encoded_;  // sorted, unique
};

}  // namespace slime::runtime

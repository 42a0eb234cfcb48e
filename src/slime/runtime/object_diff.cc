#include "slime/runtime/object_diff.h"

#include "slime/core/json_diff.h"

namespace slime::runtime {
namespace {

bool subset(const core::Json& d, const core::Json& a) {
  if (d.is_object()) {
    if (!a.is_object()) return false;
    for (auto it = d.begin(); it != d.end(); ++it) {
      auto ait = a.find(it.key());
      if (ait == a.end()) {
        if (it.value().is_null()) continue;  // "unset" is what the live object has
        return false;
      }
      if (!subset(it.value(), *ait)) return false;
    }
    return true;
  }
  if (d.is_array()) {
    if (!a.is_array() || a.size() != d.size()) return false;
    for (size_t i = 0; i < d.size(); ++i)
      if (!subset(d[i], a[i])) return false;
    return true;
  }
  return core::json_equal(d, a);
}

}  // namespace

bool contains_desired(const core::Json& desired, const core::Json& actual) {
  if (!desired.is_object() || !actual.is_object()) return false;
  for (auto it = desired.begin(); it != desired.end(); ++it) {
    if (it.key() == "status") continue;
    auto ait = actual.find(it.key());
    if (ait == actual.end()) {
      if (it.value().is_null()) continue;
      return false;
    }
    if (!subset(it.value(), *ait)) return false;
  }
  return true;
}

}  // namespace slime::runtime

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

core::Json foreign_removal_patch(const core::Json& desired, const core::Json& actual) {
  core::Json patch = core::Json::object();
  if (!desired.is_object() || !actual.is_object()) return patch;
  for (auto it = actual.begin(); it != actual.end(); ++it) {
    auto d = desired.find(it.key());
    if (d == desired.end()) {
      patch[it.key()] = nullptr;
      continue;
    }
    if (d->is_object()) {
      core::Json sub = foreign_removal_patch(*d, it.value());
      if (!sub.empty()) patch[it.key()] = std::move(sub);
    } else if (d->is_array() && it.value().is_array() && d->size() == it.value().size()) {
      // A merge patch cannot reach into a list: replace it whole when any item has additions.
      for (size_t i = 0; i < d->size(); ++i)
        if ((*d)[i].is_object() && !foreign_removal_patch((*d)[i], it.value()[i]).empty()) {
          patch[it.key()] = *d;
          break;
        }
    }
  }
  return patch;
}

bool owns_whole_spec(std::string_view api_version) { return api_version.starts_with("networking.istio.io/"); }

}  // namespace slime::runtime

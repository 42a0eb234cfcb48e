#pragma once
// Building JSON objects key by key. nlohmann's initializer lists build a temporary two-element array for
// every key and copy lvalues; on the render path that was 2-3x slower than assigning keys in place.
#include <string>
#include <string_view>
#include <utility>

#include "slime/core/json.h"

namespace slime::limiter {

class JsonObject {
 public:
  JsonObject() : json_(core::Json::value_t::object) {}
  JsonObject&& set(std::string_view key, core::Json value) && {
    put(key, std::move(value));
    return std::move(*this);
  }
  JsonObject& set(std::string_view key, core::Json value) & {
    put(key, std::move(value));
    return *this;
  }
  operator core::Json() && { return std::move(json_); }  // NOLINT: the point is implicit hand-over
  core::Json take() { return std::move(json_); }

 private:
  // Keys mostly come in ascending order: the end hint makes those inserts skip the tree search.
  void put(std::string_view key, core::Json&& value) {
    auto& map = json_.get_ref<core::Json::object_t&>();
    map.insert_or_assign(map.end(), std::string(key), std::move(value));
  }

  core::Json json_;
};

inline JsonObject object() { return {}; }

template <typename... T>
core::Json array(T&&... items) {
  core::Json a(core::Json::value_t::array);
  a.get_ref<core::Json::array_t&>().reserve(sizeof...(items));
  (a.push_back(core::Json(std::forward<T>(items))), ...);
  return a;
}

}  // namespace slime::limiter

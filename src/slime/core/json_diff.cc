#include "slime/core/json_diff.h"

#include <variant>

#include "slime/core/error.h"
#include "slime/core/json_depth.h"

namespace slime::core {
namespace {

std::string brief(const Json& j) {
  // dump() recurses per level: a subtree too deep to print briefly anyway is only named.
  if (j.is_structured() && json_depth(j, 64) > 64)
    return std::string(j.is_object() ? "{...}" : "[...]") + " (" + std::to_string(j.size()) + " entries, deeply nested)";
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 120) s = s.substr(0, 117) + "...";
  return s;
}

// One step of the walk: compare two values at `path`, or emit a line already known. An explicit stack
// (not recursion) keeps hostile depth from overflowing; the order of the lines is that of a depth-first walk.
struct Compare {
  const Json* e;
  const Json* a;
  std::string path;
  size_t depth;
};
using Task = std::variant<Compare, std::string>;

}  // namespace

bool json_equal(const Json& a, const Json& b) {
  // nlohmann's == recurses per level; this walks both documents in lockstep with an explicit stack (objects
  // are std::map-backed, so their keys come in the same order).
  std::vector<std::pair<const Json*, const Json*>> stack{{&a, &b}};
  while (!stack.empty()) {
    auto [x, y] = stack.back();
    stack.pop_back();
    if (!x->is_structured() || !y->is_structured()) {
      if (x->is_structured() != y->is_structured() || !(*x == *y)) return false;  // numbers compare by value
      continue;
    }
    if (x->type() != y->type() || x->size() != y->size()) return false;
    if (x->is_object()) {
      for (auto i = x->begin(), j = y->begin(); i != x->end(); ++i, ++j) {
        if (i.key() != j.key()) return false;
        stack.emplace_back(&i.value(), &j.value());
      }
    } else {
      for (size_t i = 0; i < x->size(); ++i) stack.emplace_back(&(*x)[i], &(*y)[i]);
    }
  }
  return true;
}

std::vector<std::string> json_diff(const Json& expected, const Json& actual, size_t limit) {
  std::vector<std::string> out;
  size_t total = 0;
  auto report = [&](std::string line) {
    if (out.size() < limit) out.push_back(std::move(line));
    ++total;
  };
  std::vector<Task> stack;
  stack.emplace_back(Compare{&expected, &actual, "", 1});
  std::vector<Task> children;
  while (!stack.empty()) {
    Task task = std::move(stack.back());
    stack.pop_back();
    if (auto* line = std::get_if<std::string>(&task)) {
      report(std::move(*line));
      continue;
    }
    auto& [e, a, path, depth] = std::get<Compare>(task);
    std::string where = path.empty() ? "(document)" : path;
    if (depth > kMaxWalkDepth) {
      report(where + ": nesting deeper than " + std::to_string(kMaxWalkDepth) + " levels, not compared");
      continue;
    }
    if ((e->is_number() && a->is_number()) || (!e->is_structured() && e->type() == a->type())) {
      if (!(*e == *a)) report(where + ": expected " + brief(*e) + ", got " + brief(*a));
      continue;
    }
    if (e->type() != a->type()) {
      report(where + ": expected " + brief(*e) + ", got " + brief(*a));
      continue;
    }
    children.clear();
    if (e->is_object()) {
      for (auto it = e->begin(); it != e->end(); ++it) {
        std::string p = join_path(path, it.key());
        auto other = a->find(it.key());
        if (other == a->end()) children.emplace_back(p + ": missing (expected " + brief(it.value()) + ")");
        else children.emplace_back(Compare{&it.value(), &*other, std::move(p), depth + 1});
      }
      for (auto it = a->begin(); it != a->end(); ++it)
        if (!e->contains(it.key())) children.emplace_back(join_path(path, it.key()) + ": unexpected " + brief(it.value()));
    } else {
      size_t n = std::min(e->size(), a->size());
      auto at = [&](size_t i) { return path + "[" + std::to_string(i) + "]"; };
      for (size_t i = 0; i < n; ++i) children.emplace_back(Compare{&(*e)[i], &(*a)[i], at(i), depth + 1});
      for (size_t i = n; i < e->size(); ++i) children.emplace_back(at(i) + ": missing (expected " + brief((*e)[i]) + ")");
      for (size_t i = n; i < a->size(); ++i) children.emplace_back(at(i) + ": unexpected " + brief((*a)[i]));
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(std::move(*it));
  }
  if (total > out.size()) out.push_back("... and " + std::to_string(total - out.size()) + " more differences");
  return out;
}

}  // namespace slime::core

#include "slime/core/json_diff.h"

#include "slime/core/error.h"

namespace slime::core {
namespace {

std::string brief(const Json& j) {
  std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 120) s = s.substr(0, 117) + "...";
  return s;
}

void walk(const Json& e, const Json& a, const std::string& path, std::vector<std::string>& out, size_t& total,
          size_t limit) {
  auto report = [&](std::string line) {
    if (out.size() < limit) out.push_back(std::move(line));
    ++total;
  };
  std::string where = path.empty() ? "(document)" : path;
  if (e.is_number() && a.is_number()) {
    if (!(e == a)) report(where + ": expected " + brief(e) + ", got " + brief(a));
    return;
  }
  if (e.type() != a.type()) {
    report(where + ": expected " + brief(e) + ", got " + brief(a));
    return;
  }
  if (e.is_object()) {
    for (auto it = e.begin(); it != e.end(); ++it) {
      std::string p = join_path(path, it.key());
      auto other = a.find(it.key());
      if (other == a.end()) report(p + ": missing (expected " + brief(it.value()) + ")");
      else walk(it.value(), *other, p, out, total, limit);
    }
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!e.contains(it.key())) report(join_path(path, it.key()) + ": unexpected " + brief(it.value()));
    return;
  }
  if (e.is_array()) {
    size_t n = std::min(e.size(), a.size());
    for (size_t i = 0; i < n; ++i) walk(e[i], a[i], path + "[" + std::to_string(i) + "]", out, total, limit);
    for (size_t i = n; i < e.size(); ++i) report(path + "[" + std::to_string(i) + "]: missing (expected " + brief(e[i]) + ")");
    for (size_t i = n; i < a.size(); ++i) report(path + "[" + std::to_string(i) + "]: unexpected " + brief(a[i]));
    return;
  }
  if (e != a) report(where + ": expected " + brief(e) + ", got " + brief(a));
}

}  // namespace

bool json_equal(const Json& a, const Json& b) { return a == b; }  // nlohmann compares numbers by value

std::vector<std::string> json_diff(const Json& expected, const Json& actual, size_t limit) {
  std::vector<std::string> out;
  size_t total = 0;
  walk(expected, actual, "", out, total, limit);
  if (total > out.size()) out.push_back("... and " + std::to_string(total - out.size()) + " more differences");
  return out;
}

}  // namespace slime::core

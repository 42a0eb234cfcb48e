#include "slime/expr/template.h"

#include <algorithm>
#include <cmath>

#include "slime/expr/calculator.h"

namespace slime::expr {
namespace {

using core::fail;

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Walks the text, calling on_text for literal runs and on_key for every reference.
template <typename OnText, typename OnKey>
core::Result<void> scan(std::string_view text, OnText on_text, OnKey on_key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      on_text(text.substr(pos));
      break;
    }
    on_text(text.substr(pos, open - pos));
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) return fail("template \"" + std::string(text) + "\": '{{' without '}}'");
    std::string_view inner = trim(text.substr(open + 2, close - open - 2));
    if (inner.size() < 2 || inner[0] != '.' || !std::all_of(inner.begin(), inner.end(), is_key_char) ||
        inner.back() == '.' || inner.find("..") != std::string_view::npos)
      return fail("template \"" + std::string(text) + "\": expected {{.name}} or {{.set.name}}, got {{" +
                  std::string(inner) + "}}");
    if (auto r = on_key(inner.substr(1)); !r) return r;
    pos = close + 2;
  }
  return {};
}

}  // namespace

core::Result<std::vector<std::string>> references(std::string_view text) {
  std::vector<std::string> keys;
  auto r = scan(
      text, [](std::string_view) {},
      [&](std::string_view key) -> core::Result<void> {
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.emplace_back(key);
        return {};
      });
  if (!r) return std::unexpected(r.error());
  return keys;
}

core::Result<std::string> substitute(std::string_view text, const Material& material) {
  std::string out;
  out.reserve(text.size());
  auto r = scan(
      text, [&](std::string_view literal) { out += literal; },
      [&](std::string_view key) -> core::Result<void> {
        auto it = material.find(key);
        if (it != material.end()) {
          out += it->second;
          return {};
        }
        // A group ("_base" when "_base.pod" exists) has no single value.
        std::string prefix = std::string(key) + ".";
        auto group = material.lower_bound(prefix);
        if (group != material.end() && group->first.starts_with(prefix))
          return fail("{{." + std::string(key) + "}} names a group of values, not a value");
        return fail("{{." + std::string(key) + "}} has no value");
      });
  if (!r) return std::unexpected(r.error());
  return out;
}

core::Result<void> check_expression(std::string_view text) {
  std::string probe;
  // Every reference becomes a number so that the arithmetic around it can be checked.
  auto r = scan(
      text, [&](std::string_view literal) { probe += literal; },
      [&](std::string_view) -> core::Result<void> {
        probe += "1";
        return {};
      });
  if (!r) return r;
  if (probe == "true" || probe == "false") return {};
  return check_syntax(probe);
}

core::Result<uint64_t> evaluate_quota(std::string_view text, const Material& material) {
  auto s = substitute(text, material);
  if (!s) return std::unexpected(s.error());
  auto v = calculate(*s);
  if (!v) return std::unexpected(v.error());
  double rounded = std::ceil(*v);
  if (rounded < 0) return fail("quota \"" + *s + "\" is negative");
  if (rounded > 4294967295.0) return fail("quota \"" + *s + "\" exceeds 4294967295");
  return static_cast<uint64_t>(rounded);
}

core::Result<bool> evaluate_condition(std::string_view text, const Material& material) {
  if (trim(text) == "true") return true;
  if (trim(text) == "false") return false;
  auto s = substitute(text, material);
  if (!s) return std::unexpected(s.error());
  auto v = calculate(*s);
  if (!v) return std::unexpected(v.error());
  return *v != 0;
}

}  // namespace slime::expr

#include "slime/modules/lazyload/aliases.h"

#include <re2/re2.h>

namespace slime::lazyload {

DomainAliases::DomainAliases() = default;
DomainAliases::~DomainAliases() = default;
DomainAliases::DomainAliases(DomainAliases&&) noexcept = default;
DomainAliases& DomainAliases::operator=(DomainAliases&&) noexcept = default;

core::Result<DomainAliases> DomainAliases::compile(std::vector<Rule> rules) {
  DomainAliases out;
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string field = "domainAliases[" + std::to_string(i) + "]";
    if (rules[i].templates.empty()) return core::fail("a domain alias needs at least one template", field + ".templates");
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_unique<re2::RE2>(rules[i].pattern, opts);
    if (!re->ok()) return core::fail("invalid RE2 pattern: " + re->error(), field + ".pattern");
    out.compiled_.push_back({std::move(re), std::move(rules[i].templates)});
  }
  return out;
}

namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Go's regexp.extract: a name (or number) after '$', optionally in braces. Returns false when malformed.
bool extract(std::string_view s, std::string_view& name, int& num, std::string_view& rest) {
  if (s.empty()) return false;
  bool brace = false;
  if (s[0] == '{') {
    brace = true;
    s.remove_prefix(1);
  }
  size_t i = 0;
  while (i < s.size() && is_name_char(s[i])) ++i;
  if (i == 0) return false;
  name = s.substr(0, i);
  if (brace) {
    if (i >= s.size() || s[i] != '}') return false;
    ++i;
  }
  num = 0;
  for (char c : name) {
    if (c < '0' || c > '9' || num >= 100000000) {
      num = -1;
      break;
    }
    num = num * 10 + (c - '0');
  }
  if (name.size() > 1 && name[0] == '0') num = -1;  // Go: no leading zeros in group numbers
  rest = s.substr(i);
  return true;
}

}  // namespace

std::string go_expand(std::string_view tmpl, const std::vector<std::string_view>& groups,
                      const std::vector<std::string>& names) {
  std::string out;
  while (!tmpl.empty()) {
    size_t d = tmpl.find('$');
    if (d == std::string_view::npos) break;
    out.append(tmpl.substr(0, d));
    tmpl.remove_prefix(d + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out += '$';
      tmpl.remove_prefix(1);
      continue;
    }
    std::string_view name, rest;
    int num = -1;
    if (!extract(tmpl, name, num, rest)) {
      out += '$';  // malformed: '$' is kept as text
      continue;
    }
    tmpl = rest;
    if (num >= 0) {
      if (static_cast<size_t>(num) < groups.size() && groups[num].data()) out.append(groups[num]);
    } else {
      for (size_t i = 0; i < names.size() && i < groups.size(); ++i) {
        if (names[i] == name && groups[i].data()) {
          out.append(groups[i]);
          break;
        }
      }
    }
  }
  out.append(tmpl);
  return out;
}

std::vector<std::string> DomainAliases::expand(std::string_view host) const {
  std::vector<std::string> out{std::string(host)};
  for (const auto& rule : compiled_) {
    const re2::RE2& re = *rule.re;
    int ngroups = re.NumberOfCapturingGroups() + 1;
    std::vector<re2::StringPiece> sub(ngroups), first(ngroups);
    // Go's FindAll: non-overlapping matches; an empty match right after the previous match is skipped.
    size_t pos = 0, count = 0;
    ptrdiff_t prev_end = -1;
    while (pos <= host.size() && count < 2) {
      if (!re.Match(host, pos, host.size(), re2::RE2::UNANCHORED, sub.data(), ngroups)) break;
      ptrdiff_t start = sub[0].data() - host.data();
      ptrdiff_t end = start + static_cast<ptrdiff_t>(sub[0].size());
      bool accept = true;
      if (start == end) {
        if (end == prev_end) accept = false;
        pos = static_cast<size_t>(end) + 1;
      } else {
        pos = static_cast<size_t>(end);
      }
      prev_end = end;
      if (accept) {
        if (count == 0) first = sub;
        ++count;
      }
    }
    if (count != 1) continue;
    std::vector<std::string_view> groups(ngroups);
    for (int i = 0; i < ngroups; ++i)
      groups[i] = first[i].data() ? std::string_view(first[i].data(), first[i].size()) : std::string_view();
    std::vector<std::string> names(ngroups);
    for (const auto& [name, idx] : re.NamedCapturingGroups())
      if (idx < ngroups) names[idx] = name;
    for (const auto& t : rule.templates) {
      std::string s = go_expand(t, groups, names);
      if (!s.empty()) out.push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace slime::lazyload

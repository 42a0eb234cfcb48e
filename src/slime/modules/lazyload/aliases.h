#pragma once
// Domain aliases (spec §5.4.5): every discovered host may be rewritten into extra hosts by RE2 patterns with
// named groups and Go regexp `Expand` templates ($name, ${name}, $1, $$).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/error.h"

namespace re2 {
class RE2;
}

namespace slime::lazyload {

class DomainAliases {
 public:
  struct Rule {
    std::string pattern;
    std::vector<std::string> templates;
  };

  DomainAliases();
  ~DomainAliases();
  DomainAliases(DomainAliases&&) noexcept;
  DomainAliases& operator=(DomainAliases&&) noexcept;

  // Compiles every rule. As in the original, one bad pattern or one rule without templates discards the
  // whole set (the error names the rule); callers report it and go on without aliases.
  static core::Result<DomainAliases> compile(std::vector<Rule> rules);

  bool empty() const { return compiled_.empty(); }

  // [host] followed by every non-empty expansion of every rule whose pattern matches `host` exactly once.
  std::vector<std::string> expand(std::string_view host) const;

 private:
  struct Compiled {
    std::unique_ptr<re2::RE2> re;
    std::vector<std::string> templates;
  };
  std::vector<Compiled> compiled_;
};

// Go's regexp.Expand over one match: `groups[i]` is submatch i (empty view with null data when the group did
// not participate), `names[i]` the name of group i ("" when unnamed). Exposed for unit tests.
std::string go_expand(std::string_view tmpl, const std::vector<std::string_view>& groups,
                      const std::vector<std::string>& names);

}  // namespace slime::lazyload

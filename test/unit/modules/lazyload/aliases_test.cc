#include "slime/modules/lazyload/aliases.h"

#include <gtest/gtest.h>

namespace slime::lazyload {
namespace {

DomainAliases compile(std::string pattern, std::vector<std::string> templates) {
  auto a = DomainAliases::compile({{std::move(pattern), std::move(templates)}});
  EXPECT_TRUE(a) << (a ? "" : a.error().str());
  return std::move(*a);
}

TEST(DomainAliases, SpecExampleAddsMailsaasAlias) {
  auto a = compile(R"((?P<service>[^\.]+)\.(?P<namespace>[^\.]+)\.svc\.cluster\.local$)", {"$namespace.$service.mailsaas"});
  EXPECT_EQ(a.expand("details.default.svc.cluster.local"),
            (std::vector<std::string>{"details.default.svc.cluster.local", "default.details.mailsaas"}));
  EXPECT_EQ(a.expand("www.example.com"), (std::vector<std::string>{"www.example.com"}));
}

TEST(DomainAliases, RuleAppliesOnlyOnExactlyOneMatch) {
  auto a = compile(R"(([a-z]+)\.)", {"x$1"});
  EXPECT_EQ(a.expand("ab.cd.ef").size(), 1u);  // two matches: not applied
  EXPECT_EQ(a.expand("ab.cd"), (std::vector<std::string>{"ab.cd", "xab"}));
}

TEST(DomainAliases, EmptyExpansionIsDropped) {
  auto a = compile(R"((?P<a>x)?y)", {"$a"});
  EXPECT_EQ(a.expand("y"), (std::vector<std::string>{"y"}));
}

TEST(DomainAliases, BadPatternOrMissingTemplatesDiscardsAll) {
  EXPECT_FALSE(DomainAliases::compile({{"(", {"x"}}}));
  auto r = DomainAliases::compile({{"a", {"x"}}, {"b", {}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "domainAliases[1].templates");
}

TEST(GoExpand, FollowsGoSemantics) {
  std::vector<std::string_view> groups{"abc", "a", "bc"};
  std::vector<std::string> names{"", "first", ""};
  EXPECT_EQ(go_expand("$1-$2", groups, names), "a-bc");
  EXPECT_EQ(go_expand("${first}x", groups, names), "ax");
  EXPECT_EQ(go_expand("$firstx", groups, names), "");      // name is "firstx": unknown -> empty
  EXPECT_EQ(go_expand("$$1", groups, names), "$1");        // $$ is a literal $
  EXPECT_EQ(go_expand("a$", groups, names), "a$");         // malformed: kept
  EXPECT_EQ(go_expand("${first", groups, names), "${first");
  EXPECT_EQ(go_expand("$9", groups, names), "");           // out of range -> empty
  EXPECT_EQ(go_expand("$0", groups, names), "abc");
}

}  // namespace
}  // namespace slime::lazyload

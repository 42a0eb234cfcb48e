#include "slime/expr/template.h"

#include <gtest/gtest.h>

namespace slime::expr {
namespace {

TEST(Template, SubstitutesDottedKeys) {
  Material m{{"_ratelimit", "100"}, {"v1.epNum", "2"}};
  auto s = substitute("{{._ratelimit}}/{{ .v1.epNum }}", m);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, "100/2");
  auto q = evaluate_quota("{{._ratelimit}}/{{.v1.epNum}}", m);
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, 50u);
}

TEST(Template, OriginalBooleanVector) {
  Material m{{"v1.cpu.sum", "8845.137062837"}};
  auto b = evaluate_condition("{{.v1.cpu.sum}}>8000", m);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_TRUE(*b);
}

TEST(Template, MissingKeyIsAnErrorNotEmpty) {
  Material m{{"_base.pod", "2"}};
  auto q = evaluate_quota("100/{{.missing}}", m);  // original: 0
  ASSERT_FALSE(q);
  EXPECT_NE(q.error().message.find("{{.missing}} has no value"), std::string::npos);
  auto g = substitute("{{._base}}", m);
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().message.find("group"), std::string::npos);
}

TEST(Template, QuotaRoundsUpAndRejectsNegatives) {
  Material m{{"_base.pod", "3"}};
  EXPECT_EQ(*evaluate_quota("100/{{._base.pod}}", m), 34u);
  EXPECT_EQ(*evaluate_quota("10", m), 10u);
  EXPECT_EQ(*evaluate_quota("0", m), 0u);
  EXPECT_FALSE(evaluate_quota("0-5", m));
  EXPECT_FALSE(evaluate_quota("99999999999", m));
  EXPECT_FALSE(evaluate_quota("100/({{._base.pod}}-3)", m));
}

TEST(Template, ConditionLiteralsAndNonZero) {
  Material m{{"_base.pod", "2"}};
  EXPECT_TRUE(*evaluate_condition("true", m));
  EXPECT_FALSE(*evaluate_condition("false", m));
  EXPECT_TRUE(*evaluate_condition("{{._base.pod}}", m));  // original: false (only 1 is true)
  EXPECT_TRUE(*evaluate_condition("{{._base.pod}} < 3", m));
  EXPECT_FALSE(*evaluate_condition("{{._base.pod}}-2", m));
  EXPECT_FALSE(evaluate_condition("True", m));
}

TEST(Template, References) {
  auto r = references("{{._base.pod}}/{{.cpu.sum}}+{{ ._base.pod }}");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (std::vector<std::string>{"_base.pod", "cpu.sum"}));
}

TEST(Template, MalformedTemplates) {
  for (const char* bad : {"{{._base.pod", "{{_base.pod}}", "{{.}}", "{{.a..b}}", "{{index . \"a\"}}", "{{.a.}}"}) {
    EXPECT_FALSE(references(bad)) << bad;
    EXPECT_FALSE(check_expression(bad)) << bad;
  }
}

TEST(Template, CheckExpression) {
  EXPECT_TRUE(check_expression("true"));
  EXPECT_TRUE(check_expression("{{._base.pod}} > 2 & {{.cpu}} < 80"));
  EXPECT_TRUE(check_expression("100/{{._base.pod}}"));
  EXPECT_FALSE(check_expression("100/"));
  EXPECT_FALSE(check_expression("ten"));
}

}  // namespace
}  // namespace slime::expr

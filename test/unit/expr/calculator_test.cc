#include "slime/expr/calculator.h"

#include <gtest/gtest.h>

namespace slime::expr {
namespace {

double calc(const char* s) {
  auto r = calculate(s);
  EXPECT_TRUE(r) << s << ": " << (r ? "" : r.error().message);
  return r ? *r : -12345;
}

TEST(Calculator, OriginalVectorsThatAgreeWithArithmetic) {
  // framework/util/calcaulator_test.go: these results are the same under ordinary arithmetic.
  EXPECT_EQ(calc("11+1"), 12);
  EXPECT_EQ(calc("16/2"), 8);
  EXPECT_EQ(calc("15-23"), -8);
  EXPECT_EQ(calc("35*23"), 805);
  EXPECT_EQ(calc("4+5*6+((7+8)/6)>10"), 1);
  EXPECT_EQ(calc("4+5*6+((7+8)/6)>10|16/2>10"), 1);
  EXPECT_EQ(calc("4+5*6+((7+8)/6)>10&16/2>10"), 0);
  EXPECT_EQ(calc("10"), 10);
  EXPECT_EQ(calc("(2+3)*4"), 20);
  EXPECT_EQ(calc("3>2&2>1"), 1);
  EXPECT_EQ(calc("2>1+1"), 0);
  EXPECT_EQ(calc("1+2*3-4"), 3);
  EXPECT_EQ(calc("2-3*4"), -10);
  EXPECT_EQ(calc("2*(1+2)"), 6);
  EXPECT_EQ(calc("-5"), -5);
  EXPECT_EQ(calc("2*-3"), -6);
  EXPECT_EQ(calc("2--3"), 5);
}

TEST(Calculator, LeftAssociativeWhereTheOriginalGroupedRight) {
  EXPECT_EQ(calc("10-2-3"), 5);   // original: 11
  EXPECT_EQ(calc("16/2/2"), 4);   // original: 16
  EXPECT_EQ(calc("8/2/2"), 2);    // original: 8
  EXPECT_EQ(calc("2*3-4-5"), -3); // original: 7
  EXPECT_EQ(calc("1-2*3-4"), -9);
}

TEST(Calculator, RealNumbersInsteadOfTruncatedOperands) {
  EXPECT_EQ(calc("0.5*4"), 2);     // original: 0
  EXPECT_EQ(calc("1.9+1.9"), 3.8); // original: 2
  EXPECT_EQ(calc("7/2"), 3.5);     // original: 4 (ceiling); quotas round up at the end instead
  EXPECT_EQ(calc("4+5*6+((7+8)/6)-8"), 28.5);  // original: 29
  EXPECT_EQ(calc("8845.137062837>8000"), 1);
}

TEST(Calculator, SpacesLessThanAndComparisons) {
  EXPECT_EQ(calc("1 + 2"), 3);
  EXPECT_EQ(calc(" ( 1 + 2 ) * 3 "), 9);
  EXPECT_EQ(calc("1<2"), 1);
  EXPECT_EQ(calc("2<1"), 0);
  EXPECT_EQ(calc("2<=2"), 1);
  EXPECT_EQ(calc("2>=3"), 0);
  EXPECT_EQ(calc("2==2"), 1);
  EXPECT_EQ(calc("2!=2"), 0);
}

TEST(Calculator, LogicIsOverNonZero) {
  EXPECT_EQ(calc("3&1"), 1);   // original: 0 (it tested a+b == 2)
  EXPECT_EQ(calc("2&0"), 0);   // original: 1
  EXPECT_EQ(calc("0|0"), 0);
  EXPECT_EQ(calc("0||5"), 1);
  EXPECT_EQ(calc("1&&1"), 1);
  EXPECT_EQ(calc("1>2|3>2&1"), 1);  // & binds tighter than |
}

TEST(Calculator, Errors) {
  for (const char* bad : {"", "2(3)", "1e3", "abc", "1+", "(1+2", "1+2)", "1=2", "1..2", "5+*3", "10/0", "10/(2-2)"}) {
    auto r = calculate(bad);
    EXPECT_FALSE(r) << bad << " gave " << (r ? *r : 0);
    if (!r) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_NE(calculate("10/0").error().message.find("division by zero"), std::string::npos);
}

TEST(Calculator, SyntaxCheckDoesNotEvaluate) {
  EXPECT_TRUE(check_syntax("10/0"));
  EXPECT_TRUE(check_syntax("1 < 2 & 3"));
  EXPECT_FALSE(check_syntax("1 +"));
  EXPECT_FALSE(check_syntax("x"));
}

TEST(Calculator, DeepNestingIsRejectedNotACrash) {
  std::string deep(10000, '(');
  EXPECT_FALSE(calculate(deep + "1"));
}

}  // namespace
}  // namespace slime::expr

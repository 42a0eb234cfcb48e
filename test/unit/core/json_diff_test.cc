#include <gtest/gtest.h>

#include "slime/core/json_diff.h"

namespace slime::core {
namespace {

TEST(JsonDiff, IgnoresKeyOrderAndNumberRepresentation) {
  EXPECT_TRUE(json_equal(Json::parse(R"({"a":1,"b":[1,2]})"), Json::parse(R"({"b":[1.0,2],"a":1.0})")));
  EXPECT_TRUE(json_diff(Json::parse(R"({"a":1})"), Json::parse(R"({"a":1.0})")).empty());
}

TEST(JsonDiff, NamesThePathOfEachDifference) {
  auto d = json_diff(Json::parse(R"({"spec":{"a":[1,2],"b":"x","gone":1}})"),
                     Json::parse(R"({"spec":{"a":[1,3],"b":"y","new":2}})"));
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0], "spec.a[1]: expected 2, got 3");
  EXPECT_EQ(d[1], "spec.b: expected \"x\", got \"y\"");
  EXPECT_EQ(d[2], "spec.gone: missing (expected 1)");
  EXPECT_EQ(d[3], "spec.new: unexpected 2");
}

TEST(JsonDiff, ListOrderMatters) {
  EXPECT_FALSE(json_diff(Json::parse("[1,2]"), Json::parse("[2,1]")).empty());
}

}  // namespace
}  // namespace slime::core

#include "slime/runtime/object_diff.h"

#include <gtest/gtest.h>

namespace slime::runtime {
namespace {

using core::Json;

TEST(ContainsDesired, LiveObjectWithExtraServerFieldsContainsTheDesiredOne) {
  Json desired = Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"x":"1"}},"data":{"k":"v"}})");
  Json live = Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","uid":"u","resourceVersion":"7",
    "labels":{"x":"1","other":"y"}},"data":{"k":"v"}})");
  EXPECT_TRUE(contains_desired(desired, live));
}

TEST(ContainsDesired, AChangedValueOrMissingFieldIsADifference) {
  Json desired = Json::parse(R"({"metadata":{"name":"a"},"spec":{"n":1,"list":[{"a":1}]}})");
  EXPECT_FALSE(contains_desired(desired, Json::parse(R"({"metadata":{"name":"a"},"spec":{"n":2,"list":[{"a":1}]}})")));
  EXPECT_FALSE(contains_desired(desired, Json::parse(R"({"metadata":{"name":"a"},"spec":{"list":[{"a":1}]}})")));
  // Lists are owned whole: an extra element is a difference.
  EXPECT_FALSE(contains_desired(desired, Json::parse(R"({"metadata":{"name":"a"},"spec":{"n":1,"list":[{"a":1},{"a":2}]}})")));
  // Numbers compare by value.
  EXPECT_TRUE(contains_desired(desired, Json::parse(R"({"metadata":{"name":"a"},"spec":{"n":1.0,"list":[{"a":1,"b":2}]}})")));
}

TEST(ContainsDesired, StatusIsIgnoredAndNonObjectsNeverMatch) {
  Json desired = Json::parse(R"({"metadata":{"name":"a"},"status":{"x":1}})");
  EXPECT_TRUE(contains_desired(desired, Json::parse(R"({"metadata":{"name":"a"}})")));
  EXPECT_FALSE(contains_desired(Json::array(), Json::object()));
  EXPECT_FALSE(contains_desired(desired, Json("string")));
}

}  // namespace
}  // namespace slime::runtime

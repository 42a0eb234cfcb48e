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


TEST(ForeignRemovalPatch, NullsAddedKeysAndReplacesListsWithAddedItemKeys) {
  Json desired = Json::parse(R"({"configPatches":[{"applyTo":"HTTP_FILTER"}],"workloadSelector":{"labels":{"app":"a"}}})");
  // Nothing added: nothing to remove (values that differ are contains_desired's business).
  EXPECT_EQ(foreign_removal_patch(desired, desired), Json::object());
  EXPECT_EQ(foreign_removal_patch(desired, Json::parse(R"({"configPatches":[{"applyTo":"X"}]})")), Json::object());
  Json live = Json::parse(R"({"configPatches":[{"applyTo":"HTTP_FILTER","match":{"context":"ANY"}}],"priority":5,
    "workloadSelector":{"labels":{"app":"a","hijacked":"yes"}}})");
  EXPECT_EQ(foreign_removal_patch(desired, live),
            Json::parse(R"({"configPatches":[{"applyTo":"HTTP_FILTER"}],"priority":null,
              "workloadSelector":{"labels":{"hijacked":null}}})"));
  EXPECT_EQ(foreign_removal_patch(Json(), live), Json::object());
}

TEST(OwnsWholeSpec, IstioNetworkingKindsOnly) {
  EXPECT_TRUE(owns_whole_spec("networking.istio.io/v1alpha3"));
  EXPECT_TRUE(owns_whole_spec("networking.istio.io/v1"));
  EXPECT_FALSE(owns_whole_spec("apps/v1"));  // the server adds defaults to Deployments
  EXPECT_FALSE(owns_whole_spec("microservice.slime.io/v1alpha1"));
}

}  // namespace
}  // namespace slime::runtime

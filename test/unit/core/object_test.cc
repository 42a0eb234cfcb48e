#include <gtest/gtest.h>

#include "slime/core/object.h"
#include "slime/core/selector.h"

namespace slime::core {
namespace {

TEST(Object, ExposesTheEnvelope) {
  auto o = Object::from_json(Json::parse(R"({
    "apiVersion": "networking.istio.io/v1alpha3", "kind": "Sidecar",
    "metadata": {"name": "reviews", "namespace": "default", "uid": "u1", "resourceVersion": "7",
                 "generation": 3, "labels": {"app": "reviews"}, "annotations": {"a": "b"}}})"));
  ASSERT_TRUE(o) << o.error().str();
  EXPECT_EQ(o->gvk().group, "networking.istio.io");
  EXPECT_EQ(o->gvk().version, "v1alpha3");
  EXPECT_EQ(o->key().str(), "Sidecar.networking.istio.io default/reviews");
  EXPECT_EQ(o->ref(), "Sidecar default/reviews");
  EXPECT_EQ(o->uid(), "u1");
  EXPECT_EQ(o->resource_version(), "7");
  EXPECT_EQ(o->generation(), 3);
  EXPECT_EQ(o->label("app"), "reviews");
  EXPECT_EQ(o->annotation("a"), "b");
  EXPECT_EQ(o->labels().size(), 1u);
}

TEST(Object, CoreGroupHasAnEmptyGroup) {
  Object o("v1", "Service", "ns", "svc");
  EXPECT_EQ(o.gvk().group, "");
  EXPECT_EQ(o.gvk().version, "v1");
  EXPECT_EQ(o.key().gk.str(), "Service");
}

TEST(Object, RejectsBrokenEnvelopesNamingTheField) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({"kind": "X", "metadata": {"name": "a"}})", "apiVersion"},
      {R"({"apiVersion": "v1", "metadata": {"name": "a"}})", "kind"},
      {R"({"apiVersion": "v1", "kind": "X"})", "metadata"},
      {R"({"apiVersion": "v1", "kind": "X", "metadata": {}})", "metadata.name"},
      {R"({"apiVersion": "v1", "kind": "X", "metadata": {"name": ""}})", "metadata.name"},
      {R"({"apiVersion": 1, "kind": "X", "metadata": {"name": "a"}})", "apiVersion"},
      {R"({"apiVersion": "v1", "kind": "X", "metadata": {"name": "a", "labels": {"x": 1}}})", "metadata.labels.x"},
  };
  for (const auto& c : cases) {
    auto o = Object::from_json(Json::parse(c.json));
    ASSERT_FALSE(o) << c.json;
    EXPECT_EQ(o.error().field, c.field) << c.json;
  }
  EXPECT_FALSE(Object::from_json(Json::array()));
}

TEST(Object, OwnerReferencesFollowControllerConventions) {
  Object owner("microservice.slime.io/v1alpha1", "ServiceFence", "ns", "f");
  owner.meta()["uid"] = "abc";
  Object child("networking.istio.io/v1alpha3", "Sidecar", "ns", "f");
  child.add_owner(owner);
  const Json& refs = child.owner_references();
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0]["kind"], "ServiceFence");
  EXPECT_EQ(refs[0]["uid"], "abc");
  EXPECT_EQ(refs[0]["controller"], true);
}

TEST(LabelSelector, MatchLabelsAndExpressions) {
  auto s = LabelSelector::parse(Json::parse(R"({
    "matchLabels": {"app": "reviews"},
    "matchExpressions": [
      {"key": "version", "operator": "In", "values": ["v1", "v2"]},
      {"key": "canary", "operator": "DoesNotExist"},
      {"key": "tier", "operator": "NotIn", "values": ["db"]},
      {"key": "team", "operator": "Exists"}]})"));
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_TRUE(s->matches({{"app", "reviews"}, {"version", "v1"}, {"team", "a"}}));
  EXPECT_FALSE(s->matches({{"app", "reviews"}, {"version", "v3"}, {"team", "a"}}));
  EXPECT_FALSE(s->matches({{"app", "reviews"}, {"version", "v1"}, {"team", "a"}, {"canary", "1"}}));
  EXPECT_FALSE(s->matches({{"app", "reviews"}, {"version", "v1"}, {"team", "a"}, {"tier", "db"}}));
  EXPECT_FALSE(s->matches({{"app", "reviews"}, {"version", "v1"}}));
  EXPECT_FALSE(s->matches({{"app", "ratings"}, {"version", "v1"}, {"team", "a"}}));
}

TEST(LabelSelector, EmptyMatchesEverythingAndErrorsNameTheField) {
  auto empty = LabelSelector::parse(Json());
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->matches({}));
  auto bad = LabelSelector::parse(Json::parse(R"({"matchExpressions": [{"key": "a", "operator": "Like"}]})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "matchExpressions[0].operator");
  auto no_values = LabelSelector::parse(Json::parse(R"({"matchExpressions": [{"key": "a", "operator": "In"}]})"));
  ASSERT_FALSE(no_values);
  EXPECT_EQ(no_values.error().field, "matchExpressions[0].values");
}

}  // namespace
}  // namespace slime::core

namespace slime::core {
namespace {

Object written_sidecar(const std::string& host) {
  return *Object::from_json(Json::parse(R"({
    "apiVersion": "networking.istio.io/v1", "kind": "Sidecar",
    "metadata": {"name": "s", "namespace": "ns", "uid": "u", "resourceVersion": "7", "generation": 2,
                 "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"slime.io/owner-module": "lazyload"},
                 "annotations": {"slime.io/owner-key": "fence/ns/s"}, "finalizers": ["f"],
                 "ownerReferences": [{"kind": "ServiceFence", "name": "s"}]},
    "spec": {"egress": [{"hosts": [")" + host + R"("]}], "workloadSelector": {"labels": {"app": "s"}}}})"));
}

TEST(ObjectPack, KeepsTheEnvelopeAsATreeAndTheWholeAsBytes) {
  Object whole = written_sidecar("*/a.ns.svc.cluster.local");
  Object packed = whole;
  packed.pack();
  ASSERT_TRUE(packed.packed());
  EXPECT_FALSE(whole.packed());
  // What the runtime reads outside a snapshot stays readable.
  EXPECT_EQ(packed.key(), whole.key());
  EXPECT_EQ(packed.resource_version(), "7");
  EXPECT_EQ(packed.label("slime.io/owner-module"), "lazyload");
  EXPECT_EQ(packed.annotation("slime.io/owner-key"), "fence/ns/s");
  EXPECT_EQ(packed.json()["metadata"]["finalizers"], Json::array({"f"}));
  // The body is not in the tree...
  EXPECT_FALSE(packed.json().contains("spec"));
  EXPECT_FALSE(packed.json()["metadata"].contains("ownerReferences"));
  EXPECT_FALSE(packed.json()["metadata"].contains("uid"));
  EXPECT_EQ(packed.unpacked().generation(), 2);
  // ...but unpacks whole, equal to what was packed.
  EXPECT_EQ(packed.unpacked().json(), whole.json());
  // Packing twice changes nothing; unpacking an object that is not packed is a copy.
  Object again = packed;
  again.pack();
  EXPECT_TRUE(again.same_as(packed));
  EXPECT_EQ(whole.unpacked().json(), whole.json());
}

TEST(ObjectPack, SameAsSeesChangesInTheBodyAndInTheEnvelope) {
  Object a = written_sidecar("*/a.ns.svc.cluster.local");
  a.pack();
  Object same = written_sidecar("*/a.ns.svc.cluster.local");
  same.pack();
  Object other_body = written_sidecar("*/b.ns.svc.cluster.local");
  other_body.pack();
  EXPECT_TRUE(a.same_as(same));
  EXPECT_FALSE(a.same_as(other_body));  // same envelope, other spec
  Object relabeled = written_sidecar("*/a.ns.svc.cluster.local");
  relabeled.set_label("extra", "1");
  relabeled.pack();
  EXPECT_FALSE(a.same_as(relabeled));
  EXPECT_FALSE(a.same_as(written_sidecar("*/a.ns.svc.cluster.local")));  // packed vs not
}

}  // namespace
}  // namespace slime::core

#include <gtest/gtest.h>

#include "slime/core/object.h"
#include "slime/core/selector.h"
#include "slime/core/unpack_scope.h"

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

TEST(ObjectPack, ReadsTheEnvelopeFromTheBytesAndTheTreeOnlyInsideAScope) {
  Object whole = written_sidecar("*/a.ns.svc.cluster.local");
  Object packed = whole;
  packed.pack();
  ASSERT_TRUE(packed.packed());
  EXPECT_FALSE(whole.packed());
  // What the runtime reads outside a store read comes from the bytes.
  EXPECT_EQ(packed.key(), whole.key());
  EXPECT_EQ(packed.ref(), "Sidecar ns/s");
  EXPECT_EQ(packed.resource_version(), "7");
  EXPECT_EQ(packed.uid(), "u");
  EXPECT_EQ(packed.generation(), 2);
  EXPECT_EQ(packed.label("slime.io/owner-module"), "lazyload");
  EXPECT_EQ(packed.label("absent"), "");
  EXPECT_EQ(packed.labels(), whole.labels());
  EXPECT_EQ(packed.annotation("slime.io/owner-key"), "fence/ns/s");
  EXPECT_EQ(packed.annotations(), whole.annotations());
  EXPECT_EQ(packed.annotation_view("slime.io/owner-key"), "fence/ns/s");
  EXPECT_EQ(whole.annotation_view("slime.io/owner-key"), "fence/ns/s");
  EXPECT_EQ(packed.annotation_view("absent"), "");
  // One member, decoded alone.
  EXPECT_EQ(packed.copy_at({"spec", "workloadSelector"}), whole.copy_at({"spec", "workloadSelector"}));
  EXPECT_EQ(packed.copy_at({"spec", "workloadSelector", "labels", "app"}), "s");
  EXPECT_TRUE(packed.copy_at({"spec", "absent"}).is_null());
  EXPECT_TRUE(packed.copy_at({"metadata", "name", "deeper"}).is_null());
  // The tree: null outside a scope, whole inside one, unpacked once per scope. (json() on a non-const
  // object is the writing one, which unpacks for good: read through a const reference.)
  const Object& reading = packed;
  EXPECT_TRUE(reading.json().is_null());
  EXPECT_TRUE(packed.spec().is_null());
  {
    UnpackScope scope;
    EXPECT_EQ(reading.json(), whole.json());
    EXPECT_EQ(&packed.spec(), &packed.spec());
    Object copy = packed;  // copies share the bytes, and so the tree
    EXPECT_EQ(&copy.spec(), &packed.spec());
    EXPECT_EQ(packed.owner_references(), whole.owner_references());
    EXPECT_EQ(scope.unpacked(), 1u);
    {
      UnpackScope inner;  // the innermost serves
      EXPECT_EQ(packed.spec(), whole.spec());
      EXPECT_EQ(inner.unpacked(), 1u);
    }
    EXPECT_EQ(UnpackScope::current(), &scope);
  }
  EXPECT_EQ(UnpackScope::current(), nullptr);
  EXPECT_EQ(packed.unpacked().json(), whole.json());
  EXPECT_FALSE(packed.unpacked().packed());
  // Writing unpacks for good.
  Object edited = packed;
  edited.set_label("extra", "1");
  EXPECT_FALSE(edited.packed());
  EXPECT_EQ(edited.spec(), whole.spec());
  EXPECT_EQ(edited.label("extra"), "1");
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
  EXPECT_FALSE(a.same_as(other_body));  // same metadata, other spec
  Object relabeled = written_sidecar("*/a.ns.svc.cluster.local");
  relabeled.set_label("extra", "1");
  relabeled.pack();
  EXPECT_FALSE(a.same_as(relabeled));
  EXPECT_FALSE(a.same_as(written_sidecar("*/a.ns.svc.cluster.local")));  // packed vs not
}

}  // namespace
}  // namespace slime::core

#include <gtest/gtest.h>

#include "slime/core/kinds.h"
#include "slime/core/projection.h"

namespace slime::core {
namespace {

// A module that only declares: the projection is all it is used for here.
class Declaring final : public Module {
 public:
  Declaring(std::vector<GroupKind> reads, std::vector<GroupKind> writes, std::vector<KindFields> fields)
      : reads_(std::move(reads)), writes_(std::move(writes)), fields_(std::move(fields)) {}
  std::string_view kind() const override { return "declaring"; }
  std::vector<GroupKind> reads() const override { return reads_; }
  std::vector<GroupKind> writes() const override { return writes_; }
  std::vector<KindFields> read_fields() const override { return fields_; }
  Result<void> configure(const ModuleConfig&) override { return {}; }
  std::vector<std::string> keys(const RenderContext&) const override { return {}; }
  std::vector<std::string> keys_for(const RenderContext&, const Object&) const override { return {}; }
  ModuleOutput reconcile(const RenderContext&, std::string_view) const override { return {}; }

 private:
  std::vector<GroupKind> reads_, writes_;
  std::vector<KindFields> fields_;
};

Object pod() {
  return *Object::from_json(Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "p", "namespace": "ns", "uid": "u", "resourceVersion": "9", "labels": {"app": "a"},
                 "annotations": {"big": "x"}, "ownerReferences": [{"kind": "ReplicaSet"}],
                 "deletionTimestamp": "2026-01-01T00:00:00Z"},
    "spec": {"containers": [{"name": "app", "image": "i"}]},
    "status": {"phase": "Running", "podIP": "10.0.0.1", "conditions": []}})"));
}

TEST(Projection, KeepsTheIdentityAndTheDeclaredPathsOnly) {
  Declaring m({kPodGk}, {}, {{kPodGk, {"metadata.labels", "status.podIP"}}});
  auto p = Projection::of({&m});
  Object o = pod();
  p.apply(o);
  EXPECT_EQ(o.json(), Json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "p", "namespace": "ns", "uid": "u", "resourceVersion": "9", "labels": {"app": "a"},
                 "deletionTimestamp": "2026-01-01T00:00:00Z"},
    "status": {"podIP": "10.0.0.1"}})"));
  EXPECT_FALSE(p.metadata_only(kPodGk));
}

TEST(Projection, MergesModulesAndKeepsWholeWhatOneReadsWholeOrAnyWrites) {
  Declaring labels({kPodGk, kNamespaceGk, kServiceGk}, {}, {{kPodGk, {"metadata.labels"}}, {kNamespaceGk, {"metadata.labels"}},
                                                           {kServiceGk, {"spec"}}});
  Declaring phase({kPodGk, kServiceGk}, {kServiceGk}, {{kPodGk, {"status.phase"}}});
  auto p = Projection::of({&labels, &phase});
  EXPECT_EQ(p.paths(kPodGk), (std::vector<std::string>{"metadata.labels", "status.phase"}));
  EXPECT_TRUE(p.metadata_only(kNamespaceGk));
  EXPECT_TRUE(p.whole(kServiceGk));  // written by one of them
  Declaring silent({kPodGk}, {}, {});
  EXPECT_TRUE(Projection::of({&labels, &silent}).whole(kPodGk));  // read whole by the other
}

// A written kind is cut down to what is read, except the objects Slime wrote (they carry the owner
// mark): the controller compares those with what it renders, field by field.
TEST(Projection, AWrittenKindKeepsOnlyWhatSlimeWroteWhole) {
  Declaring m({kServiceGk}, {kServiceGk}, {{kServiceGk, {"metadata.labels", "spec.ports"}}});
  auto p = Projection::of({&m});
  EXPECT_FALSE(p.whole(kServiceGk));
  EXPECT_FALSE(p.metadata_only(kServiceGk));
  auto service = [] {
    return *Object::from_json(Json::parse(R"({
      "apiVersion": "v1", "kind": "Service",
      "metadata": {"name": "s", "namespace": "ns", "uid": "u", "resourceVersion": "3", "labels": {"app": "a"},
                   "creationTimestamp": "2026-01-01T00:00:00Z"},
      "spec": {"clusterIP": "10.0.0.9", "ports": [{"port": 80}], "sessionAffinity": "None"},
      "status": {"loadBalancer": {}}})"));
  };
  Object users = service();
  p.apply(users);
  EXPECT_EQ(users.json(), Json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "s", "namespace": "ns", "uid": "u", "resourceVersion": "3", "labels": {"app": "a"}},
    "spec": {"ports": [{"port": 80}]}})"));
  Object ours = service();
  ours.set_label(kOwnerModuleLabel, "lazyload");
  Json before = ours.json();
  p.apply(ours);
  EXPECT_EQ(ours.json(), before);
  // A cache keeps both packed: ours whole, the users' one cut.
  EXPECT_TRUE(p.packs(ours));
  EXPECT_TRUE(p.packs(users));
  users.pack();
  EXPECT_FALSE(p.packs(users));  // already
  // Unless a module scans the kind whole on a frequent path: then it stays a tree.
  Declaring scanning({kServiceGk}, {}, {{kServiceGk, {"spec.ports"}, true, true}});
  EXPECT_FALSE(Projection::of({&m, &scanning}).packs(ours));
  EXPECT_FALSE(Projection::of({&scanning}).packs(service()));
  // Written by a module that reads nothing of it: whole, as before.
  Declaring writer({}, {kServiceGk}, {});
  EXPECT_TRUE(Projection::of({&writer}).whole(kServiceGk));
}

TEST(Projection, AKindNoModuleNeedsIsNotNeeded) {
  Declaring off({kPodGk, kServiceGk}, {}, {{kPodGk, {"metadata.labels"}, false}});
  EXPECT_FALSE(Projection::of({&off}).needed(kPodGk));
  EXPECT_TRUE(Projection::of({&off}).needed(kServiceGk));
  Declaring on({kPodGk}, {}, {{kPodGk, {"status.phase"}}});
  auto both = Projection::of({&off, &on});
  EXPECT_TRUE(both.needed(kPodGk));
  EXPECT_EQ(both.paths(kPodGk), std::vector<std::string>{"status.phase"});
}

TEST(Projection, NestedAndMissingPathsAreHarmless) {
  Declaring m({kPodGk}, {}, {{kPodGk, {"spec", "spec.containers", "status.nothing.here", "metadata.labels.app"}}});
  Object o = pod();
  Projection::of({&m}).apply(o);
  EXPECT_EQ(o.json()["spec"]["containers"][0]["name"], "app");
  EXPECT_EQ(o.json()["metadata"]["labels"]["app"], "a");
  EXPECT_FALSE(o.json().contains("status"));
}

}  // namespace
}  // namespace slime::core

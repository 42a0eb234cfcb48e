#include <gtest/gtest.h>

#include "slime/runtime/owned_keys.h"

namespace slime::runtime {
namespace {

using core::ObjectKey;

TEST(OwnedKeys, KeepsEachKeyOnceAndGivesThemBackExactly) {
  const ObjectKey sidecar{{"networking.istio.io", "Sidecar"}, "bench-1", "svc-1"};
  const ObjectKey service{{"", "Service"}, "bench-1", "svc-1"};            // core group: empty
  const ObjectKey role{{"rbac.authorization.k8s.io", "ClusterRole"}, "", "slime"};  // cluster-scoped
  OwnedKeys keys;
  EXPECT_TRUE(keys.empty());
  keys.insert(sidecar);
  keys.insert(role);
  keys.insert(service);
  keys.insert(sidecar);
  EXPECT_FALSE(keys.empty());
  EXPECT_TRUE(keys.contains(sidecar));
  EXPECT_TRUE(keys.contains(service));
  EXPECT_TRUE(keys.contains(role));
  EXPECT_FALSE(keys.contains(ObjectKey{{"networking.istio.io", "Sidecar"}, "bench-1", "svc-2"}));
  // Parts never run into each other: the namespace "a" with name "b/c" is not "a/b" with "c".
  EXPECT_FALSE(keys.contains(ObjectKey{{"networking.istio.io", "Sidecar"}, "bench-1svc", "-1"}));
  EXPECT_EQ(keys.keys(), (std::set<ObjectKey>{sidecar, service, role}));
  EXPECT_EQ(OwnedKeys(keys.keys()).keys(), keys.keys());
}

}  // namespace
}  // namespace slime::runtime

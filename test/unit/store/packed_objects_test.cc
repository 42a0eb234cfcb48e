// Packed objects (core::Object::pack: the Sidecars Slime wrote, as the cluster cache keeps them) reach
// every snapshot reader whole, while find() and listeners see the envelope the runtime reads.
#include <gtest/gtest.h>

#include "slime/store/shared_store.h"

namespace slime::store {
namespace {

using core::Json;
using core::Object;

const core::GroupKind kSidecar{"networking.istio.io", "Sidecar"};

Object sidecar(const std::string& name, const std::string& host) {
  Object o("networking.istio.io/v1", "Sidecar", "ns", name);
  o.set_label("slime.io/owner-module", "lazyload");
  o.json()["spec"] = {{"egress", Json::array({{{"hosts", Json::array({host})}}})}};
  return o;
}

Object packed(Object o) {
  o.pack();
  return o;
}

TEST(UnpackingSnapshot, ReadersSeeWholeObjectsAndFindSeesTheEnvelope) {
  SharedStore store;
  ASSERT_TRUE(store.put(packed(sidecar("a", "*/a"))));
  ASSERT_TRUE(store.put(sidecar("b", "*/b")));  // not packed: passed through as it is
  store.read([&](const core::Snapshot& snap) {
    const Object* a = snap.get({kSidecar, "ns", "a"});
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(a->packed());
    EXPECT_EQ(a->spec(), sidecar("a", "*/a").spec());
    // The same object twice in one read is unpacked once: one pointer.
    auto listed = snap.list(kSidecar);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[0], a);
    EXPECT_EQ(listed[1]->spec(), sidecar("b", "*/b").spec());
    EXPECT_EQ(snap.list(kSidecar, "other").size(), 0u);
    EXPECT_EQ(snap.get({kSidecar, "ns", "missing"}), nullptr);
  });
  auto env = store.find({kSidecar, "ns", "a"});
  ASSERT_NE(env, nullptr);
  EXPECT_TRUE(env->packed());
  EXPECT_EQ(env->label("slime.io/owner-module"), "lazyload");
}

TEST(UnpackingSnapshot, AnEqualPackedObjectIsNoChangeAndAnotherBodyIs) {
  SharedStore store;
  int notified = 0;
  store.subscribe([&](const SharedStore::ObjectPtr&, const SharedStore::ObjectPtr&) { ++notified; });
  ASSERT_TRUE(store.put(packed(sidecar("a", "*/a"))));
  EXPECT_FALSE(store.put(packed(sidecar("a", "*/a"))));
  EXPECT_TRUE(store.put(packed(sidecar("a", "*/changed"))));  // the envelope is equal, the body is not
  EXPECT_EQ(notified, 2);
  store.read([&](const core::Snapshot& snap) {
    EXPECT_EQ(snap.get({kSidecar, "ns", "a"})->spec(), sidecar("a", "*/changed").spec());
  });
}

}  // namespace
}  // namespace slime::store

// Packed objects (core::Object::pack: how the cluster cache keeps the kinds modules read in part) read
// whole inside SharedStore::read(), unpacked once per read and only when looked into; find() and
// listeners outside a read see what the bytes say of the envelope.
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

TEST(PackedObjects, ReadersSeeWholeObjectsUnpackedOncePerReadAndOnlyWhenLookedInto) {
  SharedStore store;
  ASSERT_TRUE(store.put(packed(sidecar("a", "*/a"))));
  ASSERT_TRUE(store.put(packed(sidecar("c", "*/c"))));
  ASSERT_TRUE(store.put(sidecar("b", "*/b")));  // not packed: read as it is
  store.read([&](const core::Snapshot& snap) {
    const Object* a = snap.get({kSidecar, "ns", "a"});
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->label("slime.io/owner-module"), "lazyload");
    EXPECT_EQ(core::UnpackScope::current()->unpacked(), 0u);  // names and labels come from the bytes
    EXPECT_EQ(a->spec(), sidecar("a", "*/a").spec());
    EXPECT_EQ(core::UnpackScope::current()->unpacked(), 1u);
    // The same object twice in one read is unpacked once: one tree.
    auto listed = snap.list(kSidecar);
    ASSERT_EQ(listed.size(), 3u);
    EXPECT_EQ(listed[0], a);
    EXPECT_EQ(&listed[0]->spec(), &a->spec());
    EXPECT_EQ(listed[1]->spec(), sidecar("b", "*/b").spec());
    EXPECT_EQ(core::UnpackScope::current()->unpacked(), 1u);  // c was listed but never looked into
    EXPECT_EQ(snap.list(kSidecar, "other").size(), 0u);
    EXPECT_EQ(snap.get({kSidecar, "ns", "missing"}), nullptr);
  });
  EXPECT_EQ(core::UnpackScope::current(), nullptr);
  auto found = store.find({kSidecar, "ns", "a"});
  ASSERT_NE(found, nullptr);
  EXPECT_TRUE(found->packed());
  EXPECT_EQ(found->label("slime.io/owner-module"), "lazyload");
  EXPECT_TRUE(found->spec().is_null());  // outside a read: no tree
}

TEST(PackedObjects, AnEqualPackedObjectIsNoChangeAndAnotherBodyIs) {
  SharedStore store;
  int notified = 0;
  store.subscribe([&](const SharedStore::ObjectPtr&, const SharedStore::ObjectPtr&) { ++notified; });
  ASSERT_TRUE(store.put(packed(sidecar("a", "*/a"))));
  EXPECT_FALSE(store.put(packed(sidecar("a", "*/a"))));
  EXPECT_TRUE(store.put(packed(sidecar("a", "*/changed"))));  // the metadata is equal, the body is not
  EXPECT_EQ(notified, 2);
  store.read([&](const core::Snapshot& snap) {
    EXPECT_EQ(snap.get({kSidecar, "ns", "a"})->spec(), sidecar("a", "*/changed").spec());
  });
}

}  // namespace
}  // namespace slime::store

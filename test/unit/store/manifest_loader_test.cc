#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "slime/store/manifest_loader.h"
#include "slime/store/memory_store.h"

namespace slime::store {
namespace {

TEST(ManifestLoader, ExpandsListsAndReportsEveryBadObjectWithItsPlace) {
  LoadResult out;
  load_text(R"(apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Service
    metadata: {name: a, namespace: ns}
  - apiVersion: v1
    kind: Service
    metadata: {namespace: ns}
---
kind: Service
metadata: {name: b}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: ns}
)",
            "in.yaml", out);
  ASSERT_EQ(out.objects.size(), 2u);
  EXPECT_EQ(out.objects[0].object.name(), "a");
  EXPECT_EQ(out.objects[1].object.name(), "c");
  EXPECT_EQ(out.objects[1].document, 2);
  EXPECT_EQ(out.objects[1].line, 14);
  ASSERT_EQ(out.errors.size(), 2u);
  EXPECT_EQ(out.errors[0].field, "items[1].metadata.name");
  EXPECT_EQ(out.errors[0].document, 0);
  EXPECT_EQ(out.errors[1].field, "apiVersion");
  EXPECT_EQ(out.errors[1].document, 1);
  EXPECT_EQ(out.errors[1].line, 11);
  EXPECT_EQ(out.errors[1].str(), "in.yaml:11: document 1: apiVersion: missing required field");
}

TEST(ManifestLoader, WalksDirectoriesRecursivelyInSortedOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("slime-loader-" + std::to_string(::getpid()));
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "b.yaml") << "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n";
  std::ofstream(dir / "sub" / "a.json") << R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}})";
  std::ofstream(dir / "notes.txt") << "ignored";
  auto out = load_paths({dir.string(), (dir / "missing.yaml").string()});
  fs::remove_all(dir);
  ASSERT_EQ(out.objects.size(), 2u);
  EXPECT_EQ(out.objects[0].object.name(), "b");
  EXPECT_EQ(out.objects[1].object.name(), "a");
  ASSERT_EQ(out.errors.size(), 1u);
  EXPECT_NE(out.errors[0].str().find("no such file"), std::string::npos);
}

TEST(MemoryStore, ListsByKindAndNamespaceInOrder) {
  MemoryStore s;
  EXPECT_TRUE(s.put(core::Object("v1", "Service", "b", "x")));
  EXPECT_TRUE(s.put(core::Object("v1", "Service", "a", "y")));
  EXPECT_TRUE(s.put(core::Object("v1", "Service", "a", "x")));
  EXPECT_TRUE(s.put(core::Object("v1", "ConfigMap", "a", "x")));
  EXPECT_FALSE(s.put(core::Object("v1", "Service", "a", "x")));  // unchanged
  auto all = s.list({"", "Service"});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->ns() + "/" + all[0]->name(), "a/x");
  EXPECT_EQ(all[2]->ns(), "b");
  EXPECT_EQ(s.list({"", "Service"}, "a").size(), 2u);
  EXPECT_EQ(s.list({"", "Service"}, "c").size(), 0u);
  EXPECT_NE(s.get({{"", "ConfigMap"}, "a", "x"}), nullptr);
  EXPECT_NE(s.remove({{"", "ConfigMap"}, "a", "x"}), nullptr);
  EXPECT_EQ(s.get({{"", "ConfigMap"}, "a", "x"}), nullptr);
  EXPECT_EQ(s.size(), 3u);
}

// An informer's cache and the store must share one copy of each object: an equal put reports no
// change but leaves the store holding the caller's pointer, so the earlier copy can be freed.
TEST(MemoryStore, EqualPutReportsNoChangeAndSharesTheCallersCopy) {
  MemoryStore s;
  auto first = std::make_shared<const core::Object>(core::Object("v1", "Service", "a", "x"));
  auto equal = std::make_shared<const core::Object>(core::Object("v1", "Service", "a", "x"));
  EXPECT_TRUE(s.put(first));
  EXPECT_FALSE(s.put(equal));
  EXPECT_EQ(s.find({{"", "Service"}, "a", "x"}), equal);
  EXPECT_EQ(first.use_count(), 1);  // the store no longer holds the first copy
  core::Object changed("v1", "Service", "a", "x");
  changed.json()["spec"] = {{"type", "ClusterIP"}};
  EXPECT_TRUE(s.put(std::move(changed)));
}

}  // namespace
}  // namespace slime::store

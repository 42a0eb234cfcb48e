// Hostile input to the parsers, the emitter and json_diff: absurd nesting and alias bombs end in an error
// naming the limit, never in a stack overflow or an unbounded expansion.
#include <gtest/gtest.h>

#include "slime/core/json_depth.h"
#include "slime/core/json_diff.h"
#include "slime/core/yaml.h"

namespace slime::core {
namespace {

std::string nested_json(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A document `depth` arrays deep, built without recursion (push_back moves).
Json deep_array(size_t depth) {
  Json j = 1;
  for (size_t i = 0; i < depth; ++i) {
    Json outer = Json::array();
    outer.push_back(std::move(j));
    j = std::move(outer);
  }
  return j;
}

TEST(HostileInput, JsonGetsTheNestingCapOfYaml) {
  // The top-level array, then 256 levels below it.
  auto ok = parse_yaml(nested_json(kMaxNestingDepth + 1));
  ASSERT_TRUE(ok) << ok.error().str();
  for (size_t depth : {kMaxNestingDepth + 2, size_t{1'000'000}}) {
    auto r = parse_yaml(nested_json(depth), "deep.json");
    ASSERT_FALSE(r) << depth;
    EXPECT_NE(r.error().message.find("nesting deeper than 256 levels"), std::string::npos) << r.error().str();
    EXPECT_EQ(r.error().file, "deep.json");
  }
  // Objects too, and brackets inside strings do not count.
  std::string objects;
  for (int i = 0; i < 300; ++i) objects += "{\"a\":";
  objects += "\"[[[[\"" + std::string(300, '}');
  auto r = parse_yaml_documents(objects, "objects.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("nesting"), std::string::npos) << r.errors[0].str();
  auto strings = parse_yaml("{\"a\": \"" + std::string(1000, '[') + "\"}");
  EXPECT_TRUE(strings);
}

TEST(HostileInput, NetworkJsonGetsTheSameNestingCap) {
  // What an apiserver or Prometheus answers reaches caches and modules like a manifest does.
  EXPECT_FALSE(parse_untrusted_json(nested_json(kMaxNestingDepth + 1)).is_discarded());
  EXPECT_TRUE(parse_untrusted_json(nested_json(kMaxNestingDepth + 2)).is_discarded());
  EXPECT_TRUE(parse_untrusted_json(nested_json(1'000'000)).is_discarded());
  EXPECT_TRUE(parse_untrusted_json("{\"kind\":").is_discarded());
  auto ok = parse_untrusted_json(R"({"kind":"Status","reason":"[[["})");
  ASSERT_TRUE(ok.is_object());
  EXPECT_EQ(ok["reason"], "[[[");
}

TEST(HostileInput, NodeLimitIsPerFileNotPerDocument) {
  // Each document expands six anchors tenfold: about 1.23 million nodes, under the limit alone.
  std::string bomb =
      "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
      "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
  auto one = parse_yaml_documents(bomb);
  ASSERT_TRUE(one.errors.empty()) << one.errors[0].str();
  std::string file = bomb + "---\n" + bomb + "---\n" + bomb + "---\n" + bomb;
  auto four = parse_yaml_documents(file, "bombs.yaml");
  ASSERT_EQ(four.errors.size(), 1u);
  EXPECT_EQ(four.errors[0].document, 3);
  EXPECT_NE(four.errors[0].message.find("file expands to more than 4,000,000 nodes"), std::string::npos)
      << four.errors[0].str();
  EXPECT_EQ(four.documents.size(), 3u);
}

TEST(HostileInput, EmitterRefusesWhatItCannotWalk) {
  EXPECT_EQ(to_yaml(deep_array(3)), "- \n  - \n    - 1\n");
  auto y = to_yaml(deep_array(200'000));
  EXPECT_TRUE(y.starts_with("# slime: document not printed: nesting deeper than 1024 levels")) << y.substr(0, 80);
  // Still parseable, as nothing (null).
  auto back = parse_yaml(y);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->is_null());
}

TEST(HostileInput, JsonDiffAndEqualDoNotRecursePerLevel) {
  Json a = deep_array(200'000), b = deep_array(200'000);
  EXPECT_TRUE(json_equal(a, b));
  EXPECT_EQ(json_depth(a), kMaxWalkDepth + 1);  // counting stops past the bound
  auto diff = json_diff(a, b);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_NE(diff[0].find("nesting deeper than 1024 levels, not compared"), std::string::npos) << diff[0];
  Json c = deep_array(200'000);
  Json* leaf = &c;
  while (leaf->is_array()) leaf = &(*leaf)[0];
  *leaf = 2;
  EXPECT_FALSE(json_equal(a, c));
  // A shallow difference next to a deep subtree is still found and printed briefly.
  Json x = {{"spec", {{"deep", deep_array(5000)}, {"n", 1}}}};
  Json z = {{"spec", {{"n", 2}}}};
  diff = json_diff(x, z);
  ASSERT_EQ(diff.size(), 2u);
  EXPECT_TRUE(diff[0].starts_with("spec.deep: missing (expected [...] (1 entries, deeply nested))")) << diff[0];
  EXPECT_EQ(diff[1], "spec.n: expected 1, got 2");
}

TEST(HostileInput, JsonDiffKeepsItsOrderAndNumbersByValue) {
  Json e = {{"a", 1}, {"b", {{"c", "x"}, {"d", Json::array({1, 2, 3})}}}, {"m", true}};
  Json a = {{"a", 1.0}, {"b", {{"c", "y"}, {"d", Json::array({1, 5})}}}, {"z", nullptr}};
  auto diff = json_diff(e, a);
  std::vector<std::string> want = {"b.c: expected \"x\", got \"y\"", "b.d[1]: expected 2, got 5",
                                   "b.d[2]: missing (expected 3)", "m: missing (expected true)", "z: unexpected null"};
  EXPECT_EQ(diff, want);
  EXPECT_TRUE(json_equal(Json{{"a", 1}}, Json{{"a", 1.0}}));
  EXPECT_FALSE(json_equal(Json{{"a", 1}}, Json{{"b", 1}}));
  EXPECT_FALSE(json_equal(Json::array({1}), Json{{"a", 1}}));
}

}  // namespace
}  // namespace slime::core

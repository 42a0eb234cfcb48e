#include <gtest/gtest.h>

#include "slime/core/yaml.h"

namespace slime::core {
namespace {

TEST(YamlParse, KeepsScalarTypesOfTheCoreSchema) {
  auto j = parse_yaml(R"(
int: 42
neg: -7
big: 18446744073709551615
float: 1.5
exp: 1e3
quoted_int: "42"
single_quoted: '007'
bool: true
quoted_bool: "true"
yes_is_a_string: yes
on_is_a_string: on
null_value: ~
empty:
text: hello world
hex: 0x1F
version: 1.10
)");
  ASSERT_TRUE(j) << j.error().str();
  EXPECT_TRUE((*j)["int"].is_number_integer());
  EXPECT_EQ((*j)["int"], 42);
  EXPECT_EQ((*j)["neg"], -7);
  EXPECT_TRUE((*j)["big"].is_number_unsigned());
  EXPECT_DOUBLE_EQ((*j)["float"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ((*j)["exp"].get<double>(), 1000.0);
  EXPECT_EQ((*j)["quoted_int"], "42");
  EXPECT_EQ((*j)["single_quoted"], "007");
  EXPECT_EQ((*j)["bool"], true);
  EXPECT_EQ((*j)["quoted_bool"], "true");
  EXPECT_EQ((*j)["yes_is_a_string"], "yes");
  EXPECT_EQ((*j)["on_is_a_string"], "on");
  EXPECT_TRUE((*j)["null_value"].is_null());
  EXPECT_TRUE((*j)["empty"].is_null());
  EXPECT_EQ((*j)["text"], "hello world");
  EXPECT_EQ((*j)["hex"], 31);
  EXPECT_DOUBLE_EQ((*j)["version"].get<double>(), 1.1);
}

TEST(YamlParse, ResolvesAnchorsAliasesAndMergeKeys) {
  auto j = parse_yaml(R"(
base: &base
  a: 1
  b: 2
copy: *base
merged:
  <<: *base
  b: 3
)");
  ASSERT_TRUE(j) << j.error().str();
  EXPECT_EQ((*j)["copy"], (Json{{"a", 1}, {"b", 2}}));
  EXPECT_EQ((*j)["merged"], (Json{{"a", 1}, {"b", 3}}));  // explicit keys win over merged ones
}

TEST(YamlParse, RejectsDuplicateKeysWithTheirLine) {
  auto j = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yaml");
  ASSERT_FALSE(j);
  EXPECT_NE(j.error().message.find("duplicate key 'a'"), std::string::npos);
  EXPECT_EQ(j.error().line, 3);
  EXPECT_EQ(j.error().file, "f.yaml");
}

TEST(YamlParse, JsonTextKeepsNumberTypes) {
  auto j = parse_yaml(R"({"a": 1, "b": 1.0, "c": "1"})");
  ASSERT_TRUE(j);
  EXPECT_TRUE((*j)["a"].is_number_integer());
  EXPECT_TRUE((*j)["b"].is_number_float());
  EXPECT_TRUE((*j)["c"].is_string());
}

TEST(YamlDocuments, OneBrokenDocumentDoesNotHideTheOthers) {
  std::string text =
      "# leading comment\n"
      "a: 1\n"
      "---\n"
      "b: [unclosed\n"
      "---\n"
      "\n"
      "c: 3\n"
      "--- # only a comment\n"
      "---\n";
  auto parsed = parse_yaml_documents(text, "multi.yaml");
  ASSERT_EQ(parsed.documents.size(), 2u);
  EXPECT_EQ(parsed.documents[0].json["a"], 1);
  EXPECT_EQ(parsed.documents[0].index, 0);
  EXPECT_EQ(parsed.documents[0].line, 2);
  EXPECT_EQ(parsed.documents[1].json["c"], 3);
  EXPECT_EQ(parsed.documents[1].index, 2);
  EXPECT_EQ(parsed.documents[1].line, 7);
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].document, 1);
  EXPECT_EQ(parsed.errors[0].file, "multi.yaml");
  EXPECT_GE(parsed.errors[0].line, 4);
  EXPECT_NE(parsed.errors[0].str().find("multi.yaml:"), std::string::npos);
}

TEST(YamlDocuments, AliasBombIsRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  auto j = parse_yaml(bomb);
  ASSERT_FALSE(j);
  EXPECT_NE(j.error().message.find("alias bomb"), std::string::npos);
}

TEST(YamlEmit, RoundTripsAndQuotesAmbiguousStrings) {
  Json doc = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", "x"}, {"namespace", "ns"}, {"labels", {{"a", "true"}}}}},
              {"data",
               {{"num", "8080"},
                {"yes", "yes"},
                {"empty", ""},
                {"colon", "a: b"},
                {"hash", "a #b"},
                {"lua", "function f()\n  return 1\nend\n"},
                {"dash", "-x"},
                {"plain", "hello world"},
                {"star", "*.example.com"}}},
              {"spec", {{"list", Json::array({1, 2.5, "3", nullptr, true, Json::object(), Json::array()})},
                        {"nested", Json::array({Json{{"a", 1}, {"b", Json::array({"x"})}}})}}}};
  std::string y = to_yaml(doc);
  // Envelope first, in Kubernetes order.
  EXPECT_EQ(y.rfind("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: ns\n", 0), 0u) << y;
  EXPECT_NE(y.find("num: \"8080\""), std::string::npos) << y;
  EXPECT_NE(y.find("\"yes\": \"yes\""), std::string::npos) << y;
  EXPECT_NE(y.find("lua: |\n    function f()\n      return 1\n    end\n"), std::string::npos) << y;
  EXPECT_NE(y.find("plain: hello world"), std::string::npos) << y;
  auto back = parse_yaml(y);
  ASSERT_TRUE(back) << back.error().str() << "\n" << y;
  EXPECT_EQ(*back, doc) << y;
}

TEST(YamlEmit, IsDeterministic) {
  Json a = Json::parse(R"({"kind":"K","apiVersion":"v1","z":1,"a":{"y":2,"b":3},"metadata":{"name":"n"}})");
  Json b = Json::parse(R"({"metadata":{"name":"n"},"a":{"b":3,"y":2},"apiVersion":"v1","z":1,"kind":"K"})");
  EXPECT_EQ(to_yaml(a), to_yaml(b));
}

}  // namespace
}  // namespace slime::core

namespace slime::core {
namespace {

// Cases the fuzzer found; each once broke parse -> emit -> parse.
TEST(YamlFuzzRegressions, ControlCharactersAndBadEscapesAreErrors) {
  auto nul = parse_yaml_documents(std::string("\0\0\0a: 1\n", 8), "f.yaml");
  ASSERT_EQ(nul.errors.size(), 1u);
  EXPECT_NE(nul.errors[0].message.find("not printable UTF-8"), std::string::npos);
  auto bad_utf8 = parse_yaml("a: \xff\n");
  EXPECT_FALSE(bad_utf8);
  // Too large for a double: JSON refuses it, YAML reads the plain scalar as a string.
  auto huge = parse_yaml(R"({"a": 1e999999})");
  ASSERT_TRUE(huge);
  EXPECT_EQ((*huge)["a"], "1e999999");
}

TEST(YamlFuzzRegressions, EmitterQuotesMergeKeysAndAvoidsMarkersAtColumnZero) {
  for (const Json& doc : {Json{{"<<", Json::object()}, {"a", 1}}, Json("x\n---\ny"), Json{{"k", "x\n---\n...\ny"}}}) {
    auto back = parse_yaml(to_yaml(doc));
    ASSERT_TRUE(back) << to_yaml(doc);
    EXPECT_EQ(*back, doc) << to_yaml(doc);
  }
}

}  // namespace
}  // namespace slime::core

// YAML caps implicit keys at 1024 characters: longer keys (found by fuzz_yaml) are written as explicit keys
// and read back the same, whether their value is a scalar, a mapping or a sequence.
TEST(YamlEmit, KeysLongerThanAnImplicitKeyRoundTrip) {
  std::string long_key(1500, 'k');
  long_key += "\": {[";
  slime::core::Json doc = {{long_key, "v"}, {"short", {{long_key, {{"x", 1}}}}}, {long_key + "2", {1, 2}}};
  auto text = slime::core::to_yaml(doc);
  auto back = slime::core::parse_yaml(text);
  ASSERT_TRUE(back.has_value()) << back.error().str() << "\n" << text.substr(0, 200);
  EXPECT_EQ(*back, doc);
}

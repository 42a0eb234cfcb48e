// Definition validation: every error names the file, line and field, and all errors are reported.
#include <gtest/gtest.h>

#include "slime/modules/policy/definition.h"

namespace slime::policy {
namespace {

core::ModuleConfig from_text(const std::string& text) {
  core::ModuleConfig c;
  c.name = "guard";
  c.kind = "policy";
  c.general = {{"definition", "guard.yaml"}, {"definitionFile", "/defs/guard.yaml"}, {"definitionText", text}};
  return c;
}

std::vector<std::string> error_texts(const Loaded& l) {
  std::vector<std::string> out;
  for (auto& e : l.errors) out.push_back(e.str());
  return out;
}

constexpr const char* kValid = R"(watch:
  apiVersion: v1
  kind: Service
  selector: {matchLabels: {tier: web}}
queries:
  errors: 'sum(rate(x{svc="{{.metadata.name}}"}[1m]))'
rules:
- name: hot
  when: "{{.errors}} > 0.5"
  outputs:
  - apiVersion: networking.istio.io/v1beta1
    kind: DestinationRule
    metadata: {name: "{{.metadata.name}}-guard"}
    spec: {host: "{{.metadata.name}}", n: "={{.errors}} * 2", on: "{{.rule.hot}}"}
refresh: 15s
hysteresis: 2
)";

TEST(PolicyDefinition, ValidDefinitionLoads) {
  Loaded l = load_definition(from_text(kValid));
  ASSERT_TRUE(l.errors.empty()) << ::testing::PrintToString(error_texts(l));
  ASSERT_TRUE(l.definition);
  EXPECT_EQ(l.definition->watch.gvk.kind, "Service");
  EXPECT_EQ(l.definition->refresh, std::chrono::seconds(15));
  EXPECT_EQ(l.definition->hysteresis, 2);
  ASSERT_EQ(l.definition->rules.size(), 1u);
  EXPECT_EQ(l.definition->rules[0].outputs.size(), 1u);
  EXPECT_EQ(l.definition->queries.at("errors"), "sum(rate(x{svc=\"{{.metadata.name}}\"}[1m]))");
}

TEST(PolicyDefinition, ErrorsNameFileLineAndField) {
  std::string text = kValid;
  text.replace(text.find("{{.errors}} > 0.5"), 17, "{{.erors}} > 0.5");
  Loaded l = load_definition(from_text(text));
  ASSERT_EQ(l.errors.size(), 1u) << ::testing::PrintToString(error_texts(l));
  const core::Error& e = l.errors[0];
  EXPECT_EQ(e.file, "/defs/guard.yaml");
  EXPECT_EQ(e.line, 9);
  EXPECT_EQ(e.field, "rules[0].when");
  EXPECT_NE(e.message.find("{{.erors}}"), std::string::npos) << e.message;
}

TEST(PolicyDefinition, ReportsEveryErrorAtOnce) {
  Loaded l = load_definition(from_text(R"(watch: {kind: Service}
queries: {metadata: "x", q: "{{.errors}}"}
rules:
- name: a
  when: "1 +"
  outputs: [{apiVersion: v1, kind: "{{.x}}", metadata: {}}]
- name: a
  when: "true"
  extra: 1
refresh: 0s
hysteresis: -1
status: {x: 1}
)"));
  auto texts = error_texts(l);
  auto has = [&](const std::string& s) {
    return std::any_of(texts.begin(), texts.end(), [&](const std::string& t) { return t.find(s) != std::string::npos; });
  };
  EXPECT_TRUE(has("guard.yaml:1: watch.apiVersion: is required")) << ::testing::PrintToString(texts);
  EXPECT_TRUE(has("guard.yaml:2: queries.metadata:"));
  EXPECT_TRUE(has("queries.q: {{.errors}}: a query may only read"));
  EXPECT_TRUE(has("guard.yaml:5: rules[0].when:"));
  EXPECT_TRUE(has("rules[0].outputs[0].kind: must be literal"));
  EXPECT_TRUE(has("rules[0].outputs[0].metadata.name: is required"));
  EXPECT_TRUE(has("guard.yaml:7: rules[1].name: duplicate rule name 'a'"));
  EXPECT_TRUE(has("guard.yaml:9: rules[1].extra: unknown field"));
  EXPECT_TRUE(has("guard.yaml:10: refresh:"));
  EXPECT_TRUE(has("guard.yaml:11: hysteresis:"));
  EXPECT_TRUE(has("guard.yaml:12: status: a status is written back only to a kind of your own"));
  EXPECT_FALSE(l.definition);
}

TEST(PolicyDefinition, InlineDefinitionErrorsNameTheConfigFile) {
  core::ModuleConfig c;
  c.name = "guard";
  c.general = {{"definition", {{"watch", {{"apiVersion", "v1"}, {"kind", "Service"}}}}},
               {"definitionFile", "slime.yaml"}};
  Loaded l = load_definition(c);
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.errors[0].file, "slime.yaml");
  EXPECT_EQ(l.errors[0].field, "general.definition.rules");
}

TEST(PolicyDefinition, UnreadableFileAndMissingDefinitionAreReported) {
  core::ModuleConfig c;
  c.name = "guard";
  c.general = {{"definition", "missing.yaml"}, {"definitionFile", "/x/missing.yaml"},
               {"definitionError", "cannot read the definition file: No such file or directory"}};
  Loaded l = load_definition(c);
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_NE(l.errors[0].str().find("/x/missing.yaml"), std::string::npos) << l.errors[0].str();
  c.general = core::Json::object();
  EXPECT_EQ(load_definition(c).errors.size(), 1u);
  c.general = {{"definitionText", "watch: [unclosed"}, {"definitionFile", "bad.yaml"}};
  l = load_definition(c);
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_EQ(l.errors[0].file, "bad.yaml");
}

}  // namespace
}  // namespace slime::policy

namespace slime::policy {
namespace {

// Wrong types anywhere are errors, never a crash or an exception.
TEST(PolicyDefinition, WrongTypesAreErrorsNeverCrashes) {
  for (const char* text : {"5", "[]", "watch: 5\nrules: 5", "watch: {apiVersion: 1, kind: []}\nrules: [5, {name: 5}]",
                           "watch: {apiVersion: v1, kind: S, namespaces: [1, ''], selector: {matchLabels: 3}}\n"
                           "queries: [1]\nrules: [{name: a, when: 3, outputs: [1, {metadata: 2}, {apiVersion: v1, kind: K, metadata: {name: []}}]}]",
                           "watch: {apiVersion: v1, kind: S}\nqueries: {a: 3, b: '{{'}\nrules: [{name: a, when: '{{.b}} > 1', outputs: {}}]\n"
                           "status: []\nrefresh: []\nhysteresis: 1.5",
                           "watch: {apiVersion: v1, kind: S}\nrules: [{name: a, when: 'true', outputs: [{apiVersion: v1, kind: K, "
                           "metadata: {name: x}, spec: {n: '=1 / ', m: '={{.nope}}'}}]}]"}) {
    Loaded l;
    ASSERT_NO_THROW(l = load_definition(from_text(text))) << text;
    EXPECT_FALSE(l.errors.empty()) << text;
    EXPECT_FALSE(l.definition) << text;
  }
}

}  // namespace
}  // namespace slime::policy

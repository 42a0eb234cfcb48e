#include "slime/modules/limiter/model.h"

#include <gtest/gtest.h>

#include "slime/core/yaml.h"

namespace slime::limiter {
namespace {

core::Object limiter(const char* spec_yaml) {
  auto spec = core::parse_yaml(spec_yaml);
  EXPECT_TRUE(spec) << spec.error().message;
  core::Object o(kApiVersion, kKind, "default", "reviews");
  o.json()["spec"] = *spec;
  return o;
}

std::string problems(const ParsedLimiter& p) {
  std::string s;
  for (const auto& e : p.problems) s += e.str() + "\n";
  return s;
}

TEST(Model, BothSpellingsDecodeTheSame) {
  auto snake = parse_smart_limiter(limiter(R"(
workload_selector: {app: reviews}
sets:
  _base:
    descriptor:
    - action: {fill_interval: {seconds: 1, nanos: 5}, quota: "10", strategy: single, headers_to_add: [{key: a, value: b}]}
      condition: "true"
      custom_key: k
      custom_value: v
      match: [{name: x, exact_match: y, invert_match: true, match_source: QueryMatch, use_query_match: true}]
)"));
  auto camel = parse_smart_limiter(limiter(R"(
workloadSelector: {app: reviews}
sets:
  _base:
    descriptor:
    - action: {fillInterval: {seconds: 1, nanos: 5}, quota: "10", strategy: single, headersToAdd: [{key: a, value: b}]}
      condition: "true"
      customKey: k
      customValue: v
      match: [{name: x, exactMatch: y, invertMatch: true, matchSource: 1, useQueryMatch: true}]
)"));
  ASSERT_TRUE(snake.problems.empty()) << problems(snake);
  ASSERT_TRUE(camel.problems.empty()) << problems(camel);
  for (auto* p : {&snake, &camel}) {
    const auto& d = p->spec.sets.at("_base").at(0);
    EXPECT_EQ(d.action.fill_interval->seconds, 1);
    EXPECT_EQ(d.action.fill_interval->nanos, 5);
    EXPECT_EQ(d.action.headers_to_add.at(0).key, "a");
    EXPECT_EQ(d.custom_key, "k");
    EXPECT_EQ(d.match.at(0).source, MatchSource::kQuery);
    EXPECT_TRUE(d.match.at(0).invert_match);
    EXPECT_TRUE(d.match.at(0).use_query_match);
    EXPECT_EQ(p->spec.workload_selector.at("app"), "reviews");
  }
}

// Every matcher field, in both spellings (the matcher decoder checks for a field before reading it).
TEST(Model, EveryMatcherFieldDecodesInBothSpellings) {
  for (bool camel : {false, true}) {
    auto k = [&](const char* snake_name, const char* camel_name) { return std::string(camel ? camel_name : snake_name); };
    std::string matcher = "{name: x, " + k("regex_match", "regexMatch") + ": r, " + k("exact_match", "exactMatch") + ": e, " +
                          k("prefix_match", "prefixMatch") + ": p, " + k("suffix_match", "suffixMatch") + ": s, " +
                          k("present_match", "presentMatch") + ": true, " + k("invert_match", "invertMatch") + ": true, " +
                          k("is_exact_match_empty", "isExactMatchEmpty") + ": true, " +
                          k("present_match_separate", "presentMatchSeparate") + ": true, " +
                          k("use_query_match", "useQueryMatch") + ": true}";
    std::string spec = R"(
sets:
  _base:
    descriptor:
    - action: {fill_interval: {seconds: 1}, quota: "10", strategy: global}
      condition: "true"
      match: [)" + matcher + "]\n";
    auto p = parse_smart_limiter(limiter(spec.c_str()));
    ASSERT_TRUE(p.problems.empty()) << (camel ? "camel: " : "snake: ") << problems(p);
    const Matcher& m = p.spec.sets.at("_base").at(0).match.at(0);
    EXPECT_EQ(m.name, "x");
    EXPECT_EQ(m.regex_match, "r");
    EXPECT_EQ(m.exact_match, "e");
    EXPECT_EQ(m.prefix_match, "p");
    EXPECT_EQ(m.suffix_match, "s");
    EXPECT_TRUE(m.present_match);
    EXPECT_TRUE(m.invert_match);
    EXPECT_TRUE(m.is_exact_match_empty);
    EXPECT_TRUE(m.present_match_separate);
    EXPECT_TRUE(m.use_query_match);
  }
}

// What the RLS ConfigMap reads: only global descriptors, the others neither decoded nor reported.
TEST(Model, GlobalOnlySkipsOtherDescriptorsUnread) {
  auto o = limiter(R"(
sets:
  _base:
    descriptor:
    - {action: {fill_interval: {seconds: 1}, quota: "1", strategy: single}, condition: "true", stragety: x}
    - {action: {fill_interval: {seconds: 60}, quota: "2", strategy: global}, condition: "true"}
    - {action: {fill_interval: {seconds: 1}, quota: "-"}, condition: "true"}
  v1:
    descriptor:
    - {action: {fill_interval: {seconds: 1}, quota: "3", strategy: average}, condition: "true"}
)");
  auto all = parse_smart_limiter(o);
  EXPECT_EQ(all.problems.size(), 2u) << problems(all);  // the misspelled key and the bad quota
  EXPECT_EQ(all.spec.sets.at("_base").size(), 2u);

  auto global = parse_smart_limiter(o, Descriptors::kGlobalOnly);
  EXPECT_TRUE(global.problems.empty()) << problems(global);
  ASSERT_EQ(global.spec.sets.at("_base").size(), 1u);
  EXPECT_EQ(global.spec.sets.at("_base")[0].action.quota, "2");
  EXPECT_EQ(global.spec.sets.at("_base")[0].field, "spec.sets._base.descriptor[1]");
  EXPECT_TRUE(global.spec.sets.at("v1").empty());
}

TEST(Model, UnknownKeysAreReportedWithTheirPath) {
  auto p = parse_smart_limiter(limiter(R"(
gatway: true
sets:
  _base:
    descriptors: []
    descriptor:
    - action: {fill_interval: {seconds: 60}, quota: "4", stragety: average}
      condition: "true"
)"));
  std::string s = problems(p);
  EXPECT_NE(s.find("SmartLimiter default/reviews: spec.gatway: unknown field"), std::string::npos) << s;
  EXPECT_NE(s.find("spec.sets._base.descriptors: unknown field"), std::string::npos) << s;
  EXPECT_NE(s.find("spec.sets._base.descriptor[0].action.stragety: unknown field"), std::string::npos) << s;
  // A misspelled key alone does not invalidate the descriptor.
  EXPECT_EQ(p.spec.sets.at("_base").size(), 1u);
}

TEST(Model, InvalidDescriptorsAreLeftOutTheOthersStay) {
  auto p = parse_smart_limiter(limiter(R"(
sets:
  _base:
    descriptor:
    - action: {fill_interval: "1.5s", quota: 7}
      condition: true
    - action: {fill_interval: {seconds: 1, nanos: 1000000000}, quota: "1"}
      condition: "true"
    - action: {fill_interval: "soon", quota: "1"}
      condition: "true"
    - action: {fill_interval: {seconds: 1}, quota: -3}
      condition: "true"
    - action: {fill_interval: {seconds: 1}, quota: "1", strategy: globall}
      condition: "true"
    - action: {fill_interval: {seconds: 1}, quota: "1"}
      condition: "true"
      match: [{name: x}]
    - action: {fill_interval: {seconds: 1}, quota: "1"}
      condition: "true"
      match: [{name: x, exact_match: y, present_match_separate: true}]
    - action: {fill_interval: {seconds: 1}, quota: "1"}
      condition: "true"
      target: {direction: sideways, route: [no-slash]}
    - action: {fill_interval: {seconds: 1}, quota: "1"}
      condition: "true"
      match: [{name: field, prefix_match: a, matchSource: JsonBodyMatch}]
    - action: {fill_interval: {seconds: 1}, quota: "1"}
      condition: "{{._base.pod"
)"));
  std::string s = problems(p);
  ASSERT_EQ(p.spec.sets.at("_base").size(), 1u) << s;
  const auto& ok = p.spec.sets.at("_base")[0];
  EXPECT_EQ(ok.action.quota, "7");
  EXPECT_EQ(ok.condition, "true");
  EXPECT_EQ(ok.action.fill_interval->seconds, 1);
  EXPECT_EQ(ok.action.fill_interval->nanos, 500000000);
  for (const char* want : {"descriptor[1].action.fillInterval.nanos", "descriptor[2].action.fillInterval: expected a duration",
                           "descriptor[3].action.quota: expected a non-negative quota",
                           "descriptor[4].action.strategy: expected single, average or global",
                           "descriptor[5].match[0]: a header matcher needs",
                           "descriptor[6].match[0].presentMatchSeparate: presentMatchSeparate needs strategy global",
                           "descriptor[7].target.direction: expected inbound or outbound",
                           "descriptor[7].target.route[0]: expected \"<vhost>/<route name>\"",
                           "descriptor[8].match[0]: JsonBodyMatch supports only exactMatch",
                           "descriptor[9].condition: template"})
    EXPECT_NE(s.find(want), std::string::npos) << "missing: " << want << "\n" << s;
}

TEST(Model, MissingOrMalformedSpec) {
  core::Object none(kApiVersion, kKind, "default", "x");
  auto p = parse_smart_limiter(none);
  ASSERT_EQ(p.problems.size(), 1u);
  EXPECT_EQ(p.problems[0].field, "spec");
  auto q = parse_smart_limiter(limiter("{sets: [1, 2]}"));
  ASSERT_FALSE(q.problems.empty());
  EXPECT_EQ(q.problems[0].field, "spec.sets");
  auto r = parse_smart_limiter(limiter("{target: {route: a.test.com:80/r1}, sets: {_base: {descriptor: []}}}"));
  EXPECT_TRUE(r.problems.empty()) << problems(r);
  ASSERT_TRUE(r.spec.target);
  EXPECT_EQ(r.spec.target->route, std::vector<std::string>{"a.test.com:80/r1"});  // a scalar, as the proto comments write it
}

TEST(Model, DurationForms) {
  EXPECT_EQ(parse_duration(core::Json("60s"), "f")->seconds, 60);
  EXPECT_EQ(parse_duration(core::Json("0.001s"), "f")->nanos, 1000000);
  EXPECT_FALSE(parse_duration(core::Json("0s"), "f"));
  EXPECT_FALSE(parse_duration(core::Json("1m"), "f"));
  EXPECT_FALSE(parse_duration(core::Json{{"seconds", 1}, {"minutes", 1}}, "f"));
  EXPECT_FALSE(parse_duration(core::Json(5), "f"));
}

}  // namespace
}  // namespace slime::limiter

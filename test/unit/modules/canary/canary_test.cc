// The canary module's pieces the golden cases do not show: the Events of each transition, the revisit
// time, the restart from a status, weight arithmetic, and a whole release driven tick by tick.
#include <gtest/gtest.h>

#include "slime/core/yaml.h"
#include "slime/metric/fixture.h"
#include "slime/modules/canary/analysis.h"
#include "slime/modules/canary/clock.h"
#include "slime/modules/canary/model.h"
#include "slime/modules/canary/split.h"
#include "slime/modules/canary/state.h"
#include "slime/modules/registry.h"
#include "slime/render/render.h"
#include "slime/store/memory_store.h"

namespace slime::canary {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRelease = R"(apiVersion: microservice.slime.io/v1alpha1
kind: CanaryRelease
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  stable: {labels: {version: v1}}
  canary: {labels: {version: v2}}
  schedule: {interval: 10s, steps: [10, 50]}
  analysis:
    threshold: 2
    checks:
    - builtin: request-success-rate
    - name: errors-vs-stable
      query: 'sum(errors{v="{{.version}}"})'
      condition: "{{.canary}} <= {{.stable}} * 1.1"
)";

core::Object parse(const std::string& yaml) {
  auto j = core::parse_yaml(yaml);
  EXPECT_TRUE(j) << (j ? "" : j.error().str());
  return core::Object(*j);
}

TimePoint at(int seconds) { return std::chrono::system_clock::from_time_t(1700000000) + std::chrono::seconds(seconds); }

// Answers every query of the release: success rate and errors for both versions.
metric::MetricFixture answers(const Release& rel, double success, double canary_errors, double stable_errors) {
  core::Json doc = core::Json::object();
  for (const auto& c : rel.checks)
    for (const Subset* s : {&rel.canary, &rel.stable}) {
      auto q = render_query(c.query, rel.service, "default", *s, rel.window);
      double v = c.builtin.empty() ? (s == &rel.canary ? canary_errors : stable_errors) : success;
      doc[*q] = v;
    }
  return *metric::MetricFixture::parse(doc);
}

TEST(CanaryModel, BuiltinsAreFilledAndRelativeChecksAskTheStableSubset) {
  auto cr = parse_canary_release(parse(kRelease));
  ASSERT_TRUE(cr) << cr.error().str();
  const Release& rel = cr->release;
  ASSERT_EQ(rel.checks.size(), 2u);
  EXPECT_EQ(rel.checks[0].condition, "{{.canary}} >= 99");
  EXPECT_FALSE(rel.checks[0].uses_stable);
  EXPECT_TRUE(rel.checks[1].uses_stable);
  auto requests = analysis_requests(rel, "default");
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_NE(requests[0].query.find("destination_version=\"v2\""), std::string::npos) << requests[0].query;
  EXPECT_NE(requests[0].query.find("[10s]"), std::string::npos) << requests[0].query;
  EXPECT_EQ(requests[1].query, "sum(errors{v=\"v2\"})");
  EXPECT_EQ(requests[2].query, "sum(errors{v=\"v1\"})");
}

TEST(CanaryModel, DurationsAndTimesRoundTrip) {
  EXPECT_EQ(*parse_duration("500ms"), 500ms);
  EXPECT_EQ(*parse_duration("2m"), 120000ms);
  for (const char* bad : {"", "1", "1x", "-1s", "0s", "1.5s", "s"}) EXPECT_FALSE(parse_duration(bad)) << bad;
  EXPECT_EQ(format_time(at(0)), "2023-11-14T22:13:20Z");
  EXPECT_EQ(format_time(at(0) + 250ms), "2023-11-14T22:13:20.250Z");
  EXPECT_EQ(*parse_time("2023-11-14T22:13:20.25Z"), at(0) + 250ms);
  for (const char* bad : {"", "2023-11-14", "2023-13-14T22:13:20Z", "2023-11-14T22:13:20.x5Z", "2023-11-14T22:13:20"})
    EXPECT_FALSE(parse_time(bad)) << bad;
}

TEST(CanarySplit, PercentagesAddUpToAHundred) {
  EXPECT_EQ(to_percentages({1, 1, 1}), (std::vector<int>{34, 33, 33}));
  EXPECT_EQ(to_percentages({100, 300, 100}), (std::vector<int>{20, 60, 20}));
  EXPECT_EQ(to_percentages({0, 5}), (std::vector<int>{0, 100}));
  EXPECT_EQ(to_percentages({2, 1}), (std::vector<int>{67, 33}));
}

// One release driven through the state machine as `slime run` would: the status of each reconcile is
// the next one's input, the live VirtualService follows the rendered weight.
class Drive : public ::testing::Test {
 protected:
  void SetUp() override {
    obj_ = parse(kRelease);
    auto cr = parse_canary_release(obj_);
    ASSERT_TRUE(cr);
    rel_ = cr->release;
  }
  Outcome step(int seconds, const core::MetricValues& metrics) {
    Observed observed{live_, std::nullopt};
    Outcome o = advance_release(obj_, rel_, metrics, observed, at(seconds));
    obj_.json()["status"] = o.status;
    live_ = std::map<std::string, int>{{"stable", 100 - o.canary_weight}, {"canary", o.canary_weight}};
    return o;
  }
  std::string phase() const { return obj_.status()["phase"].get<std::string>(); }
  int weight() const { return obj_.status()["weight"].get<int>(); }
  static std::vector<std::string> reasons(const Outcome& o) {
    std::vector<std::string> out;
    for (const auto& e : o.events) out.push_back(e.reason);
    return out;
  }

  core::Object obj_;
  Release rel_;
  std::optional<std::map<std::string, int>> live_;
};

TEST_F(Drive, HealthyReleaseStepsThroughToSuccessWithAnEventPerTransition) {
  auto healthy = answers(rel_, 99.9, 1, 1);
  auto o = step(0, healthy);
  EXPECT_EQ(phase(), "Initializing");
  EXPECT_EQ(reasons(o), std::vector<std::string>{"Initializing"});
  EXPECT_FALSE(o.revisit_at);

  o = step(1, healthy);  // the routes at 0 % are live
  EXPECT_EQ(phase(), "Progressing");
  EXPECT_EQ(weight(), 10);
  EXPECT_EQ(reasons(o), std::vector<std::string>{"Progressing"});
  ASSERT_TRUE(o.revisit_at);
  EXPECT_EQ(*o.revisit_at, at(11));

  o = step(5, healthy);  // not due: nothing changes, no event
  EXPECT_EQ(weight(), 10);
  EXPECT_TRUE(o.events.empty());
  EXPECT_EQ(*o.revisit_at, at(11));

  o = step(11, healthy);
  EXPECT_EQ(weight(), 50);
  EXPECT_EQ(obj_.status()["step"], 2);
  EXPECT_EQ(reasons(o), std::vector<std::string>{"StepAdvanced"});
  EXPECT_EQ(obj_.status()["lastAnalysis"]["verdict"], "Pass");
  EXPECT_EQ(obj_.status()["lastAnalysis"]["checks"][1]["stable"], "1");

  o = step(21, healthy);
  EXPECT_EQ(phase(), "Promoting");
  EXPECT_EQ(weight(), 100);
  o = step(22, healthy);
  EXPECT_EQ(phase(), "Succeeded");
  EXPECT_EQ(reasons(o), std::vector<std::string>{"Succeeded"});
  o = step(500, healthy);
  EXPECT_EQ(phase(), "Succeeded");
  EXPECT_TRUE(o.events.empty());
}

TEST_F(Drive, RelativeCheckFailuresRollBackAtTheThreshold) {
  step(0, metric::MetricFixture());
  step(1, metric::MetricFixture());
  auto worse = answers(rel_, 99.9, 5, 1);  // canary errors 5 > 1 * 1.1
  auto o = step(11, worse);
  EXPECT_EQ(phase(), "Progressing");
  EXPECT_EQ(weight(), 10);
  EXPECT_EQ(obj_.status()["failedAnalyses"], 1);
  EXPECT_EQ(reasons(o), std::vector<std::string>{"AnalysisFailed"});
  EXPECT_EQ(o.events[0].type, "Warning");
  o = step(21, worse);
  EXPECT_EQ(phase(), "RollingBack");
  EXPECT_EQ(weight(), 0);
  EXPECT_NE(o.events[0].message.find("errors-vs-stable: not 5 <= 1 * 1.1"), std::string::npos) << o.events[0].message;
  o = step(22, worse);
  EXPECT_EQ(phase(), "Failed");
  EXPECT_EQ(reasons(o), std::vector<std::string>{"RolledBack"});
}

TEST_F(Drive, NoDataIsNeverAPass) {
  step(0, metric::MetricFixture());
  step(1, metric::MetricFixture());
  metric::MetricFixture none;  // Prometheus answers nothing at all
  for (int t = 11; t < 100; t += 10) {
    auto o = step(t, none);
    EXPECT_EQ(phase(), "Progressing");
    EXPECT_EQ(weight(), 10) << "t=" << t;
    // Said once per streak, not every interval.
    EXPECT_EQ(o.events.size(), t == 11 ? 1u : 0u) << "t=" << t;
  }
  EXPECT_EQ(obj_.status()["lastAnalysis"]["verdict"], "NoVerdict");
  EXPECT_EQ(obj_.status()["failedAnalyses"], 0);
  // NaN (no requests in the window) is no data too.
  core::Json doc = core::Json::object();
  for (const auto& r : analysis_requests(rel_, "default")) doc[r.query] = "NaN";
  auto nan_fixture = *metric::MetricFixture::parse(doc);
  step(101, nan_fixture);
  EXPECT_EQ(weight(), 10);
  EXPECT_EQ(obj_.status()["lastAnalysis"]["checks"][0]["verdict"], "NoVerdict");
}

TEST_F(Drive, ARestartResumesFromTheStatus) {
  auto healthy = answers(rel_, 99.9, 1, 1);
  step(0, healthy);
  step(1, healthy);
  // A new process: only the stored status carries over (a fresh Machine, same object).
  core::Object stored = parse(core::to_yaml(obj_.json()));
  obj_ = stored;
  auto o = step(11, healthy);
  EXPECT_EQ(weight(), 50);
  EXPECT_EQ(reasons(o), std::vector<std::string>{"StepAdvanced"});
}

TEST_F(Drive, PauseHoldsAndResumeWaitsAFullInterval) {
  auto healthy = answers(rel_, 99.9, 1, 1);
  step(0, healthy);
  step(1, healthy);
  rel_.paused = true;
  auto o = step(30, healthy);
  EXPECT_EQ(phase(), "Paused");
  EXPECT_EQ(weight(), 10);
  EXPECT_FALSE(obj_.status().contains("nextStepTime"));
  EXPECT_FALSE(o.revisit_at);
  rel_.paused = false;
  o = step(40, healthy);
  EXPECT_EQ(phase(), "Progressing");
  EXPECT_EQ(reasons(o), std::vector<std::string>{"Resumed"});
  EXPECT_EQ(*o.revisit_at, at(50));
  EXPECT_EQ(weight(), 10);
}

TEST(CanaryModule, RenderEmitsTheTransitionsItWentThrough) {
  auto m = modules::create("canary");
  ASSERT_TRUE(m);
  core::ModuleConfig cfg;
  cfg.name = cfg.kind = "canary";
  ASSERT_TRUE(m->configure(cfg));
  std::vector<std::unique_ptr<core::Module>> mods;
  mods.push_back(std::move(m));
  render::RenderOptions opts;
  opts.now = at(0);
  auto result = render::render({parse(kRelease)}, mods, core::NoMetrics(), opts);
  ASSERT_TRUE(result.problems.empty()) << result.problems[0].str();
  std::vector<std::string> reasons;
  for (const auto& e : result.events) reasons.push_back(e.reason);
  EXPECT_EQ(reasons, (std::vector<std::string>{"Initializing", "Progressing"}));
  ASSERT_EQ(result.generated.size(), 2u);  // DestinationRule and VirtualService
  EXPECT_EQ(result.generated[1].kind(), "VirtualService");
  EXPECT_EQ(result.generated[1].spec()["http"][0]["route"][1]["weight"], 10);
}

}  // namespace
}  // namespace slime::canary

// MetricFeed: what it asks, when, and what it reports as changed. The query function here is a table the
// test controls (Prometheus itself is exercised by test/integration/limiter).
#include "slime/runtime/metric_feed.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

namespace slime::runtime {
namespace {

using namespace std::chrono_literals;

struct Answers {
  std::mutex mu;
  std::map<std::string, double> values;  // a missing query fails
  std::map<std::string, int> asked;

  MetricFeed::QueryFn fn() {
    return [this](const std::string& q) -> core::Result<core::Json> {
      std::lock_guard lock(mu);
      ++asked[q];
      auto it = values.find(q);
      if (it == values.end()) return core::fail("no such series: " + q);
      return core::Json::array({{{"metric", core::Json::object()}, {"value", it->second}}});
    };
  }
};

core::MetricRequest prom(const std::string& q) { return {"prometheus", q}; }

TEST(MetricFeed, AsksEachNewQueryOnceBeforeTheTick) {
  Answers a;
  a.values["up"] = 1;
  MetricFeed feed(a.fn(), 1h);
  auto first = feed.answers({prom("up")});
  ASSERT_NE(first.get(prom("up")), nullptr);
  EXPECT_EQ((*first.get(prom("up")))[0]["value"], 1.0);
  // Answered already: served from the feed, not asked again until the tick.
  a.values["up"] = 2;
  auto second = feed.answers({prom("up")});
  EXPECT_EQ((*second.get(prom("up")))[0]["value"], 1.0);
  EXPECT_EQ(a.asked["up"], 1);
}

TEST(MetricFeed, RefreshReportsOnlyChangedAnswersAndForgetsDeadQueries) {
  Answers a;
  a.values = {{"a", 1}, {"b", 1}};
  MetricFeed feed(a.fn(), 1h);
  feed.answers({prom("a"), prom("b")});
  a.values["b"] = 5;
  auto changed = feed.refresh({prom("a"), prom("b")});
  EXPECT_EQ(changed, std::set<core::MetricRequest>{prom("b")});
  EXPECT_TRUE(feed.refresh({prom("a"), prom("b")}).empty());
  // "b" is no longer needed: dropped, and a later need asks it again.
  feed.refresh({prom("a")});
  int before = a.asked["b"];
  feed.answers({prom("b")});
  EXPECT_EQ(a.asked["b"], before + 1);
}

TEST(MetricFeed, AFailedQueryDropsItsAnswerAndIsNotRetriedOnEveryReconcile) {
  Answers a;
  a.values["q"] = 3;
  MetricFeed feed(a.fn(), 1h);
  feed.answers({prom("q")});
  a.values.erase("q");
  // The failure is a change: the limit that depended on the old value must be re-rendered without it.
  EXPECT_EQ(feed.refresh({prom("q")}), std::set<core::MetricRequest>{prom("q")});
  int asked = a.asked["q"];
  for (int i = 0; i < 5; ++i) EXPECT_EQ(feed.answers({prom("q")}).get(prom("q")), nullptr);
  EXPECT_EQ(a.asked["q"], asked);  // retried by the next tick, not by every reconcile
  EXPECT_EQ(feed.stats().failures.load(), 1u);
}

TEST(MetricFeed, IgnoresSourcesItDoesNotServe) {
  Answers a;
  MetricFeed feed(a.fn(), 1h);
  core::MetricRequest other{"k8s", "pods"};
  EXPECT_EQ(feed.answers({other}).get(other), nullptr);
  EXPECT_TRUE(feed.refresh({other}).empty());
  EXPECT_TRUE(a.asked.empty());
}

}  // namespace
}  // namespace slime::runtime

#include "slime/runtime/metrics.h"

#include <gtest/gtest.h>

namespace slime::runtime {
namespace {

TEST(Metrics, RendersPrometheusTextWithEscapedLabels) {
  Metrics m;
  m.describe("slime_reconcile_total", Metrics::Type::kCounter, "Reconciles.");
  m.inc("slime_reconcile_total", {{"module", "lazyload"}, {"result", "success"}});
  m.inc("slime_reconcile_total", {{"module", "lazyload"}, {"result", "success"}}, 2);
  m.set("odd", {{"v", "a\"b\\c\nd"}}, 0.5);
  m.observe("lat", {{"m", "x"}}, 0.25);
  m.observe("lat", {{"m", "x"}}, 0.75);
  std::string text = m.render();
  EXPECT_NE(text.find("# HELP slime_reconcile_total Reconciles.\n# TYPE slime_reconcile_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("slime_reconcile_total{module=\"lazyload\",result=\"success\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("odd{v=\"a\\\"b\\\\c\\nd\"} 0.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_sum{m=\"x\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_count{m=\"x\"} 2\n"), std::string::npos);
}

TEST(Metrics, CollectorsRefreshBeforeRendering) {
  Metrics m;
  int calls = 0;
  m.add_collector([&](Metrics& mm) { mm.set("depth", {}, ++calls); });
  EXPECT_NE(m.render().find("depth 1\n"), std::string::npos);
  EXPECT_NE(m.render().find("depth 2\n"), std::string::npos);
}

}  // namespace
}  // namespace slime::runtime

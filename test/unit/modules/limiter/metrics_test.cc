#include "slime/modules/limiter/metrics.h"

#include <gtest/gtest.h>

namespace slime::limiter {
namespace {

class MapMetrics final : public core::MetricValues {
 public:
  std::map<std::string, core::Json> by_query;
  const core::Json* get(const core::MetricRequest& r) const override {
    auto it = by_query.find(r.query);
    return it == by_query.end() ? nullptr : &it->second;
  }
};

Workload two_sets() {
  Workload w;
  w.sets.push_back({"v1", {{"version", "v1"}}, {"r-v1-a", "r-v1-b"}, 2});
  w.sets.push_back({"empty", {{"version", "v9"}}, {}, 0});
  w.sets.push_back({"_base", {}, {"r-v1-a", "r-v1-b", "r-v2"}, 3});
  return w;
}

TEST(Metrics, HandlerQueriesAreFilledPerSet) {
  LimiterConfig c;
  c.handlers["cpu.sum"] = {"sum(cpu{ns=\"$namespace\",pod=~\"$pod_name\"})", core::PrometheusHandler::Type::kValue};
  c.handlers["rt99"] = {"rt{app=\"$source_app\",ns=\"$namespace\"}", core::PrometheusHandler::Type::kValue};
  auto b = metric_bindings(c, two_sets(), "default", "reviews");
  ASSERT_EQ(b.size(), 3u);  // the set without pods gets no $pod_name query
  EXPECT_EQ(b[0].key, "v1.cpu.sum");
  EXPECT_EQ(b[0].request.query, "sum(cpu{ns=\"default\",pod=~\"r-v1-a|r-v1-b\"})");
  EXPECT_EQ(b[1].key, "_base.cpu.sum");
  EXPECT_EQ(b[1].request.query, "sum(cpu{ns=\"default\",pod=~\"r-v1-a|r-v1-b|r-v2\"})");
  EXPECT_EQ(b[2].key, "rt99");
  EXPECT_EQ(b[2].request.query, "rt{app=\"reviews\",ns=\"default\"}");
  EXPECT_EQ(b[2].request.source, "prometheus");
  c.disable_adaptive = true;
  EXPECT_TRUE(metric_bindings(c, two_sets(), "default", "reviews").empty());
}

TEST(Metrics, MaterialFromAnswers) {
  std::vector<MetricBinding> b = {{"_base.cpu.sum", {"prometheus", "q1"}},
                                  {"rt99", {"prometheus", "q2"}},
                                  {"many", {"prometheus", "q3"}},
                                  {"missing", {"prometheus", "q4"}},
                                  {"_base.pod", {"prometheus", "q5"}},
                                  {"nan", {"prometheus", "q6"}}};
  MapMetrics m;
  m.by_query["q1"] = core::Json::array({{{"metric", core::Json::object()}, {"value", 8845.137062837}}});
  m.by_query["q2"] = core::Json::array({{{"metric", {{"a", "b"}}}, {"value", "12.5"}}});
  m.by_query["q3"] = core::Json::array({{{"value", 1}}, {{"value", 2}}});
  m.by_query["q5"] = core::Json::array({{{"value", 99}}});
  m.by_query["q6"] = core::Json::array({{{"value", "NaN"}}});
  Material mat = build_material(two_sets(), b, m);
  EXPECT_EQ(mat.values.at("_base.cpu.sum"), "8845.137062837");
  EXPECT_EQ(mat.values.at("rt99"), "12.5");
  EXPECT_EQ(mat.values.at("_base.pod"), "3");  // pod counts win over a metric of the same name
  EXPECT_EQ(mat.values.at("v1.pod"), "2");
  EXPECT_EQ(mat.values.at("empty.pod"), "0");
  EXPECT_EQ(mat.values.at("nan"), "NaN");
  EXPECT_NE(mat.unavailable.at("many").find("returned 2 samples"), std::string::npos);
  EXPECT_NE(mat.unavailable.at("missing").find("no value yet"), std::string::npos);
}

TEST(Metrics, ValueAndGroupOnOnePathKeepsTheGroup) {
  std::vector<MetricBinding> b = {{"cpu", {"prometheus", "a"}}, {"cpu.max", {"prometheus", "b"}}};
  MapMetrics m;
  m.by_query["a"] = core::Json::array({{{"value", 1}}});
  m.by_query["b"] = core::Json::array({{{"value", 2}}});
  Material mat = build_material(Workload{}, b, m);
  EXPECT_EQ(mat.values.count("cpu"), 0u);
  EXPECT_EQ(mat.values.at("cpu.max"), "2");
  EXPECT_TRUE(mat.unavailable.count("cpu"));
}

TEST(Metrics, FormatNumber) {
  EXPECT_EQ(format_number(563.3837582), "563.3837582");
  EXPECT_EQ(format_number(2), "2");
  EXPECT_EQ(format_number(1e21), "1000000000000000000000");
  EXPECT_EQ(format_number(-0.5), "-0.5");
}

}  // namespace
}  // namespace slime::limiter

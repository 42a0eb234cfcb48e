#include <gtest/gtest.h>

#include "slime/metric/metric_cache.h"
#include "slime/metric/prometheus_client.h"

namespace slime::metric {
namespace {

TEST(PrometheusResponse, Vector) {
  auto r = parse_query_response(R"({"status":"success","data":{"resultType":"vector","result":[
    {"metric":{"pod":"a"},"value":[1700000000.5,"563.3837582"]},
    {"metric":{},"value":[1700000000.5,"NaN"]}]}})");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0]["metric"]["pod"], "a");
  EXPECT_EQ((*r)[0]["value"], 563.3837582);
  EXPECT_EQ((*r)[1]["value"], "NaN");
}

TEST(PrometheusResponse, ScalarAndErrors) {
  auto s = parse_query_response(R"({"status":"success","data":{"resultType":"scalar","result":[1,"2"]}})");
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)[0]["value"], 2.0);
  auto e = parse_query_response(R"({"status":"error","errorType":"bad_data","error":"parse error"})");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message, "Prometheus query failed: bad_data: parse error");
  EXPECT_FALSE(parse_query_response("<html>"));
  EXPECT_FALSE(parse_query_response(R"({"status":"success","data":{"resultType":"matrix","result":[]}})"));
  EXPECT_FALSE(parse_query_response(R"({"status":"success","data":{"resultType":"vector","result":[{"value":1}]}})"));
}

TEST(PrometheusClient, UnreachableServerIsAnError) {
  PrometheusClient client({"http://127.0.0.1:1", std::chrono::milliseconds(500)});
  auto r = client.query("up");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("GET http://127.0.0.1:1/api/v1/query?query=up"), std::string::npos) << r.error().message;
  MetricCache cache;
  core::MetricRequest req{"prometheus", "up"};
  cache.set(req, core::Json::array());
  auto res = resolve(client, {req, req, {"other", "x"}}, cache);
  EXPECT_EQ(res.queried, 1u);
  EXPECT_EQ(res.errors.size(), 1u);
  EXPECT_EQ(cache.get(req), nullptr);  // a failed query drops the stale value
}

TEST(MetricCache, SetReportsChanges) {
  MetricCache cache;
  core::MetricRequest r{"prometheus", "q"};
  EXPECT_TRUE(cache.set(r, 1));
  EXPECT_FALSE(cache.set(r, 1));
  EXPECT_TRUE(cache.set(r, 2));
  EXPECT_EQ(*cache.get(r), 2);
}

}  // namespace
}  // namespace slime::metric

namespace slime::metric {
namespace {

TEST(PrometheusResponse, WrongTypesAreErrorsNotExceptions) {
  EXPECT_FALSE(parse_query_response(R"({"status":1})"));
  EXPECT_FALSE(parse_query_response(R"({"status":"success","data":{"resultType":7,"result":[]}})"));
  auto r = parse_query_response(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":"x","value":[1,"2"]}]}})");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0]["metric"], core::Json::object());
}

TEST(PrometheusResponse, AbsurdNestingIsAnErrorNotARecursion) {
  std::string deep = R"({"status":"success","data":{"resultType":"vector","result":)" + std::string(100'000, '[') +
                     std::string(100'000, ']') + "}}";
  auto r = parse_query_response(deep);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not JSON"), std::string::npos) << r.error().str();
}

}  // namespace
}  // namespace slime::metric

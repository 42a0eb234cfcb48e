// Metric fixtures: the offline answers of `slime render --metrics` and the golden runner.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "slime/core/yaml.h"
#include "slime/metric/fixture.h"

namespace slime::metric {
namespace {

core::Json yaml(const char* text) { return *core::parse_yaml(text); }

TEST(MetricFixture, AnswersInTheInstantVectorForm) {
  auto f = MetricFixture::parse(yaml("'a': 1.5\n'b': NaN\n'c': []\n'd': [{metric: {pod: x}, value: 2}, {value: '3'}]\n"));
  ASSERT_TRUE(f) << f.error().str();
  const core::Json* a = f->get({"prometheus", "a"});
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)[0]["value"], 1.5);
  EXPECT_EQ((*f->get({"prometheus", "b"}))[0]["value"], "NaN");
  EXPECT_TRUE(f->get({"prometheus", "c"})->empty());
  EXPECT_EQ(f->get({"prometheus", "d"})->size(), 2u);
  EXPECT_EQ(f->get({"prometheus", "missing"}), nullptr);
  EXPECT_EQ(f->unanswered(), std::vector<std::string>{"missing"});
}

TEST(MetricFixture, BadValuesNameTheQuery) {
  auto f = MetricFixture::parse(yaml("'sum(x)': many\n"), "m.yaml");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().str().find("m.yaml"), std::string::npos) << f.error().str();
  EXPECT_NE(f.error().str().find("'sum(x)'"), std::string::npos) << f.error().str();
  EXPECT_FALSE(MetricFixture::parse(yaml("[1, 2]\n")));
  EXPECT_FALSE(MetricFixture::parse(yaml("'q': [{metric: {}}]\n")));
  EXPECT_FALSE(MetricFixture::load("/nonexistent/metrics.yaml"));
}

TEST(MetricFixture, LoadsAFile) {
  auto path = std::filesystem::temp_directory_path() / ("fixture-" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << "# comment\n'up': 1\n";
  auto f = MetricFixture::load(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(f) << f.error().str();
  EXPECT_EQ(f->size(), 1u);
}

}  // namespace
}  // namespace slime::metric

#include "slime/modules/lazyload/fence.h"

#include "slime/core/yaml.h"
#include "test_util.h"

namespace slime::lazyload {
namespace {

TEST(FenceEncoding, ReadsEnumNamesNumbersAndInt64Strings) {
  std::vector<core::Error> problems;
  auto status = parse_fence_status(*core::parse_yaml(R"({domains: {a: {hosts: [a], status: 2}, b: {status: EXPIRE}, c: {}},
      metricStatus: {k: "1"}, visitor: {x: true}})"), problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(status.domains["a"].status, DomainStatus::kExpireWait);
  EXPECT_EQ(status.domains["b"].status, DomainStatus::kExpire);
  EXPECT_EQ(status.domains["c"].status, DomainStatus::kActive);

  auto spec = parse_fence_spec(*core::parse_yaml(R"({enable: true,
      host: {x: {deadline: {expire: {seconds: "1700000000"}}}, y: {deadline: {expire: {seconds: 5, nanos: 1}}}}})"), problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(spec.host["x"].deadline_expire->seconds, 1700000000);
  EXPECT_EQ(spec.host["y"].deadline_expire->seconds, 5);
}

TEST(FenceEncoding, WritesNamesAndOmitsZeroValues) {
  std::vector<core::Error> problems;
  auto status = parse_fence_status(*core::parse_yaml(R"({domains: {a: {hosts: [a], status: 2}, b: {status: 0}},
      visitor: {x: true}})"), problems);
  core::Json out = encode_status(status);
  EXPECT_EQ(out["domains"]["a"]["status"], "EXPIREWAIT");
  EXPECT_EQ(out["domains"]["b"], core::Json::object());  // ACTIVE and empty hosts omitted
  EXPECT_FALSE(out.contains("metricStatus"));
  EXPECT_EQ(out["visitor"]["x"], true);  // other keys are kept
}

TEST(FenceEncoding, BadEntriesAreReportedAndSkipped) {
  std::vector<core::Error> problems;
  auto spec = parse_fence_spec(*core::parse_yaml(R"({enable: yes-please, host: {a: {deadline: {expire: {seconds: soon}}}, b: {}},
      labelSelector: [{selector: {app: 1}}, {selector: {app: ok}}], workloadSelector: [x]})"), problems);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].field, "spec.enable");
  EXPECT_EQ(problems[1].field, "spec.host.a.deadline.expire.seconds");
  EXPECT_EQ(problems[2].field, "spec.labelSelector[0].selector.app");
  EXPECT_EQ(problems[3].field, "spec.workloadSelector");
  EXPECT_EQ(spec.host.size(), 2u);
  EXPECT_FALSE(spec.host["a"].deadline_expire);
  ASSERT_EQ(spec.label_selector.size(), 1u);
}

}  // namespace
}  // namespace slime::lazyload

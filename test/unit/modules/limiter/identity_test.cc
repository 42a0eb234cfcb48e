#include "slime/modules/limiter/identity.h"

#include <gtest/gtest.h>

namespace slime::limiter {
namespace {

WrappedDescriptor single(const char* quota, int64_t seconds, const char* strategy) {
  WrappedDescriptor d;
  d.action.quota = quota;
  d.action.fill_interval = Duration{seconds, 0};
  d.action.strategy = strategy;
  return d;
}

// The ids of the original's golden files (spec §2.9).
TEST(Identity, MethodGolden) {
  auto d = single("10", 1, "single");
  Matcher m;
  m.name = ":method";
  m.exact_match = "GET";
  d.match.push_back(m);
  d.target = Target{};
  EXPECT_EQ(canonical_text(d),
            "action:{quota:\"10\"  fill_interval:{seconds:1}  strategy:\"single\"}  match:{name:\":method\"  "
            "exact_match:\"GET\"}  target:{}");
  EXPECT_EQ(descriptor_id(d, "default", "hello"), 1092235069u);
}

TEST(Identity, QueryGolden) {
  auto d = single("10", 1, "single");
  Matcher m;
  m.name = "foo";
  m.prefix_match = "bar";
  m.source = MatchSource::kQuery;
  d.match.push_back(m);
  d.target = Target{};
  EXPECT_EQ(descriptor_id(d, "default", "hello"), 2197174159u);
}

TEST(Identity, GatewayGoldenHasNoTargetOfItsOwn) {
  auto d = single("50", 60, "single");
  d.effective_target.direction = "outbound";  // spec.target: not part of the identity
  EXPECT_EQ(canonical_text(d), "action:{quota:\"50\"  fill_interval:{seconds:60}  strategy:\"single\"}");
  EXPECT_EQ(descriptor_id(d, "default", "withselector-missing-match-workload"), 2597136639u);
}

TEST(Identity, DerivedGlobalExample) {
  auto d = single("10", 60, "global");
  d.target = Target{};
  d.target->port = 9080;
  EXPECT_EQ(descriptor_id(d, "default", "productpage"), 3518309955u);
}

TEST(Identity, QuotingAndRepeatedFields) {
  auto d = single("5", 1, "");
  d.action.headers_to_add = {{"x-a", "1"}};
  Matcher m;
  m.name = "a\"b\\c\n\x01";
  m.present_match = true;
  m.invert_match = true;
  d.match.push_back(m);
  d.target = Target{"outbound", 80, {"h/r1", "h/r2"}, {}};
  EXPECT_EQ(canonical_text(d),
            "action:{quota:\"5\"  fill_interval:{seconds:1}  headers_to_add:{key:\"x-a\"  value:\"1\"}}  "
            "match:{name:\"a\\\"b\\\\c\\n\\x01\"  present_match:true  invert_match:true}  "
            "target:{direction:\"outbound\"  port:80  route:\"h/r1\"  route:\"h/r2\"}");
}

TEST(Identity, Adler32) {
  EXPECT_EQ(adler32(""), 1u);
  EXPECT_EQ(adler32("Wikipedia"), 0x11E60398u);
}

// adler32 reduces its sums once per block; across block boundaries and with bytes >= 0x80 it must agree
// with the definition (reduce after every byte).
TEST(Identity, Adler32LongInputsMatchTheDefinition) {
  auto by_definition = [](const std::string& s) {
    uint32_t a = 1, b = 0;
    for (unsigned char c : s) {
      a = (a + c) % 65521;
      b = (b + a) % 65521;
    }
    return (b << 16) | a;
  };
  for (size_t n : {5551u, 5552u, 5553u, 20000u}) {
    std::string s(n, '\xff');
    EXPECT_EQ(adler32(s), by_definition(s)) << n;
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 31 + 7);
    EXPECT_EQ(adler32(s), by_definition(s)) << n;
  }
}

}  // namespace
}  // namespace slime::limiter

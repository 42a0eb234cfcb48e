// The PROXY protocol header parser (v1 text, v2 binary): what Envoy's upstream_proxy_protocol socket writes
// is accepted; everything the proxy could not route, or the specification does not allow, is refused.
#include <gtest/gtest.h>

#include <string>

#include "slime/proxy/routing/proxy_protocol.h"

namespace slime::proxy {
namespace {

using S = ProxyParseStatus;

std::string v2(unsigned char ver_cmd, unsigned char fam, const std::string& body) {
  std::string h("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A", 12);
  h.push_back(static_cast<char>(ver_cmd));
  h.push_back(static_cast<char>(fam));
  h.push_back(static_cast<char>(body.size() >> 8));
  h.push_back(static_cast<char>(body.size() & 0xff));
  return h + body;
}

std::string v4_body() { return std::string("\x0a\x00\x00\x05\x0a\x60\x03\x07\x9c\x40\x15\x38", 12); }

TEST(ProxyProtocol, V2Ipv4AsEnvoyWritesIt) {
  auto h = encode_proxy_v2("10.0.0.5", 40000, "10.96.3.7", 5432);
  ASSERT_EQ(h.size(), 28u);
  EXPECT_EQ(h, v2(0x21, 0x11, v4_body()));
  auto p = parse_proxy_header(h + "payload");
  ASSERT_EQ(p.status, S::kDone) << p.error;
  EXPECT_EQ(p.header.version, 2);
  EXPECT_EQ(p.header.source_ip, "10.0.0.5");
  EXPECT_EQ(p.header.source_port, 40000);
  EXPECT_EQ(p.header.dest_ip, "10.96.3.7");
  EXPECT_EQ(p.header.dest_port, 5432);
  EXPECT_EQ(p.header.length, 28u);
}

TEST(ProxyProtocol, V2Ipv6AndTlvs) {
  auto h = encode_proxy_v2("fd00::5", 1, "fd00:10:96::7", 80);
  ASSERT_EQ(h.size(), 52u);
  auto p = parse_proxy_header(h);
  ASSERT_EQ(p.status, S::kDone) << p.error;
  EXPECT_EQ(p.header.source_ip, "fd00::5");
  EXPECT_EQ(p.header.dest_ip, "fd00:10:96::7");
  EXPECT_EQ(p.header.dest_port, 80);
  // A TLV (type 0x04, NOOP, 2 bytes) after the addresses is skipped; the payload starts after it.
  auto with_tlv = v2(0x21, 0x11, v4_body() + std::string("\x04\x00\x02xy", 5));
  p = parse_proxy_header(with_tlv + "data");
  ASSERT_EQ(p.status, S::kDone) << p.error;
  EXPECT_EQ(p.header.length, with_tlv.size());
}

TEST(ProxyProtocol, EveryStrictPrefixNeedsMore) {
  for (auto full : {encode_proxy_v2("10.0.0.5", 40000, "10.96.3.7", 5432),
                    std::string("PROXY TCP4 10.0.0.5 10.96.3.7 40000 5432\r\n")}) {
    for (size_t n = 0; n < full.size(); ++n)
      EXPECT_EQ(parse_proxy_header(full.substr(0, n)).status, S::kNeedMore) << n;
    EXPECT_EQ(parse_proxy_header(full).status, S::kDone);
  }
}

TEST(ProxyProtocol, V1Tcp4AndTcp6) {
  auto p = parse_proxy_header("PROXY TCP4 10.0.0.5 10.96.3.7 40000 5432\r\nhello");
  ASSERT_EQ(p.status, S::kDone) << p.error;
  EXPECT_EQ(p.header.version, 1);
  EXPECT_EQ(p.header.source_ip, "10.0.0.5");
  EXPECT_EQ(p.header.dest_ip, "10.96.3.7");
  EXPECT_EQ(p.header.source_port, 40000);
  EXPECT_EQ(p.header.dest_port, 5432);
  EXPECT_EQ(p.header.length, 42u);
  p = parse_proxy_header("PROXY TCP6 fd00::5 fd00::7 1 65535\r\n");
  ASSERT_EQ(p.status, S::kDone) << p.error;
  EXPECT_EQ(p.header.dest_ip, "fd00::7");
  EXPECT_EQ(p.header.dest_port, 65535);
}

struct Bad {
  std::string input;
  std::string reason;  // a substring of the error
};

class ProxyProtocolRefuses : public ::testing::TestWithParam<Bad> {};

TEST_P(ProxyProtocolRefuses, WithAReason) {
  auto p = parse_proxy_header(GetParam().input);
  ASSERT_EQ(p.status, S::kInvalid) << GetParam().input;
  EXPECT_NE(p.error.find(GetParam().reason), std::string::npos) << p.error;
}

INSTANTIATE_TEST_SUITE_P(
    Headers, ProxyProtocolRefuses,
    ::testing::Values(
        // absent: the first bytes of a plain client
        Bad{"GET / HTTP/1.1\r\n", "no PROXY protocol header"}, Bad{"PROXX", "no PROXY protocol header"},
        Bad{std::string("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0B", 12), "no PROXY protocol header"},
        // v1
        Bad{"PROXY UNKNOWN\r\n", "UNKNOWN"}, Bad{"PROXY UNKNOWN 1.1.1.1 2.2.2.2 1 2\r\n", "UNKNOWN"},
        Bad{"PROXY TCP4 10.0.0.5 10.96.3.7 40000\r\n", "needs"},
        Bad{"PROXY TCP4 10.0.0.5 10.96.3.7 40000 5432 x\r\n", "too many"},
        Bad{"PROXY TCP4  10.0.0.5 10.96.3.7 1 2\r\n", "empty field"},
        Bad{"PROXY UDP4 10.0.0.5 10.96.3.7 1 2\r\n", "TCP4, TCP6"},
        Bad{"PROXY TCP4 fd00::5 10.96.3.7 1 2\r\n", "source is not"},
        Bad{"PROXY TCP6 fd00::5 10.96.3.7 1 2\r\n", "destination is not"},
        Bad{"PROXY TCP4 010.0.0.5 10.96.3.7 1 2\r\n", "source is not"},
        Bad{"PROXY TCP4 10.0.0.5 10.96.3.7 65536 2\r\n", "source port"},
        Bad{"PROXY TCP4 10.0.0.5 10.96.3.7 1 02\r\n", "destination port"},
        Bad{"PROXY TCP4 10.0.0.5 10.96.3.7 1 -2\r\n", "destination port"},
        Bad{"PROXY TCP4 10.0.0.5\n10.96.3.7 1 2\r\n", "control"},
        Bad{"PROXY " + std::string(120, 'A'), "longer than 107"},
        Bad{"PROXY TCP6 " + std::string(100, 'f') + "\r\n", "longer than 107"},
        // v2
        Bad{v2(0x11, 0x11, v4_body()), "version 1, expected 2"}, Bad{v2(0x22, 0x11, v4_body()), "undefined"},
        Bad{v2(0x20, 0x00, ""), "LOCAL"}, Bad{v2(0x21, 0x00, ""), "unspecified"},
        Bad{v2(0x21, 0x12, v4_body()), "not TCP"}, Bad{v2(0x21, 0x31, std::string(216, 'x')), "not TCP"},
        Bad{v2(0x21, 0x21, v4_body()), "shorter than its addresses"},
        Bad{v2(0x21, 0x11, v4_body() + std::string("\x04\x00", 2)), "TLV header truncated"},
        Bad{v2(0x21, 0x11, v4_body() + std::string("\x04\x00\x09xy", 5)), "runs past"},
        Bad{v2(0x21, 0x11, std::string(600, 'x')).substr(0, 16), "larger than 536"}));

TEST(ProxyProtocol, EncodeRefusesMixedFamiliesAndNames) {
  EXPECT_EQ(encode_proxy_v2("10.0.0.1", 1, "fd00::1", 2), "");
  EXPECT_EQ(encode_proxy_v2("caller", 1, "10.0.0.1", 2), "");
}

}  // namespace
}  // namespace slime::proxy

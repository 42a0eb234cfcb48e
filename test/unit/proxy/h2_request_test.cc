// An h2 request's header block as the relay routes and forwards it, and the answers the proxy gives on
// an h2 stream itself.
#include <gtest/gtest.h>

#include <algorithm>

#include "slime/proxy/routing/h2_reply.h"
#include "slime/proxy/routing/h2_request.h"
#include "slime/proxy/routing/h2_sniff.h"

namespace slime::proxy {
namespace {

H2RequestHead grpc_head(size_t limit = 64 * 1024) {
  H2RequestHead h(limit);
  h.add(":method", "POST");
  h.add(":scheme", "http");
  h.add(":path", "/echo.Echo/Say");
  h.add(":authority", "echo:50051");
  h.add("content-type", "application/grpc");
  h.add("slime-source-ns", "default");
  h.add("slime-orig-dest", "10.0.0.7:50051");
  h.add("te", "trailers");
  h.add("x-forwarded-for", "10.1.1.1, 10.2.2.2");
  return h;
}

TEST(H2Sniff, PrefaceMatching) {
  EXPECT_EQ(match_h2_preface(""), PrefaceMatch::kNeedMore);
  EXPECT_EQ(match_h2_preface("PRI * HT"), PrefaceMatch::kNeedMore);
  EXPECT_EQ(match_h2_preface("GET / HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(match_h2_preface(std::string(kH2Preface) + "xx"), PrefaceMatch::kHttp2);
}

TEST(H2RequestHead, GivesRoutingTheAuthorityAndTheSlimeHeaders) {
  auto h = grpc_head();
  auto f = h.facts(15001);
  EXPECT_EQ(f.host, "echo:50051");
  EXPECT_TRUE(f.has_source_ns);
  EXPECT_EQ(f.source_ns, "default");
  EXPECT_TRUE(f.has_orig_dest);
  EXPECT_EQ(f.orig_dest, "10.0.0.7:50051");
  EXPECT_EQ(f.method, "POST");
  EXPECT_EQ(f.listen_port, 15001);
  EXPECT_TRUE(f.target.empty());  // h2 has no absolute-form
  EXPECT_TRUE(h.grpc());
  EXPECT_EQ(h.forwarded_for(), "10.1.1.1, 10.2.2.2");
}

TEST(H2RequestHead, FallsBackToAHostFieldWithoutAuthority) {
  H2RequestHead h(1024);
  h.add(":method", "GET");
  h.add(":path", "/");
  h.add("host", "web.default");
  EXPECT_EQ(h.facts(80).host, "web.default");
  EXPECT_FALSE(h.grpc());
}

TEST(H2RequestHead, ForwardsWithTheDestinationAuthorityAndWithoutSlimeHeaders) {
  auto h = grpc_head();
  h.add("host", "stale");
  Destination d;
  d.host_header = "echo.default:50051";
  auto out = h.upstream_headers(d);
  ASSERT_GE(out.size(), 4u);
  EXPECT_EQ(out[0], (H2Header{":method", "POST"}));
  EXPECT_EQ(out[1], (H2Header{":scheme", "http"}));
  EXPECT_EQ(out[2], (H2Header{":authority", "echo.default:50051"}));
  EXPECT_EQ(out[3], (H2Header{":path", "/echo.Echo/Say"}));
  for (const auto& [n, v] : out) {
    EXPECT_NE(n, "slime-source-ns");
    EXPECT_NE(n, "slime-orig-dest");
    EXPECT_NE(n, "host");
  }
  EXPECT_NE(std::ranges::find(out, H2Header{"te", "trailers"}), out.end());
  EXPECT_NE(std::ranges::find(out, H2Header{"content-type", "application/grpc"}), out.end());
}

TEST(H2RequestHead, MarksAHeadOverTheLimitInsteadOfTruncatingIt) {
  H2RequestHead h(100);
  h.add(":method", "GET");
  h.add(":authority", "web");
  EXPECT_FALSE(h.too_large());
  h.add("x-big", std::string(200, 'x'));
  EXPECT_TRUE(h.too_large());
  h.add("x-after", "y");  // ignored once too large
  Destination d;
  d.host_header = "web";
  for (const auto& [n, v] : h.upstream_headers(d)) EXPECT_NE(n, "x-after");
}

TEST(H2Reply, GrpcCallersGetATrailersOnlyStatus) {
  auto r = h2_error_reply(403, "destination x is not a mesh service", true);
  EXPECT_TRUE(r.body.empty());
  EXPECT_NE(std::ranges::find(r.headers, H2Header{":status", "200"}), r.headers.end());
  EXPECT_NE(std::ranges::find(r.headers, H2Header{"grpc-status", "7"}), r.headers.end());
  EXPECT_NE(std::ranges::find(r.headers, H2Header{"grpc-message", "destination x is not a mesh service"}),
            r.headers.end());
  EXPECT_EQ(grpc_status_for(504), 4u);
  EXPECT_EQ(grpc_status_for(502), 14u);
}

TEST(H2Reply, OthersGetTheStatusAndAPlainTextReason) {
  auto r = h2_error_reply(502, "upstream 10.0.0.1:80 (web) connect: refused", false);
  EXPECT_EQ(r.body, "slime-proxy: upstream 10.0.0.1:80 (web) connect: refused\n");
  EXPECT_NE(std::ranges::find(r.headers, H2Header{":status", "502"}), r.headers.end());
  EXPECT_NE(std::ranges::find(r.headers, H2Header{"content-length", std::to_string(r.body.size())}), r.headers.end());
}

TEST(H2Reply, GrpcMessageIsPercentEncoded) {
  EXPECT_EQ(grpc_message("a%b\n\xc3\xa9"), "a%25b%0A%C3%A9");
}

}  // namespace
}  // namespace slime::proxy

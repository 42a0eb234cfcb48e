// Reading the first request of an h2c connection: frames are built here with nghttp2's HPACK encoder,
// the way a gRPC client would send them.
#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <vector>

#include "slime/proxy/routing/h2_reply.h"
#include "slime/proxy/routing/h2_sniff.h"

namespace slime::proxy {
namespace {

std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  std::string out;
  out.push_back(static_cast<char>(payload.size() >> 16));
  out.push_back(static_cast<char>(payload.size() >> 8));
  out.push_back(static_cast<char>(payload.size()));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((stream >> s) & 0xff));
  out.append(payload);
  return out;
}

std::string hpack(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::vector<nghttp2_nv> nva;
  for (auto& [n, v] : headers)
    nva.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  nghttp2_hd_deflater* d = nullptr;
  nghttp2_hd_deflate_new(&d, 4096);
  std::string out(nghttp2_hd_deflate_bound(d, nva.data(), nva.size()), '\0');
  auto n = nghttp2_hd_deflate_hd(d, (uint8_t*)out.data(), out.size(), nva.data(), nva.size());
  nghttp2_hd_deflate_del(d);
  out.resize(static_cast<size_t>(n));
  return out;
}

const std::vector<std::pair<std::string, std::string>> kGrpcHeaders = {
    {":method", "POST"},          {":scheme", "http"},
    {":path", "/echo.Echo/Say"},  {":authority", "echo.default:50051"},
    {"content-type", "application/grpc"}, {"slime-source-ns", "default"},
    {"slime-orig-dest", "10.0.0.7:50051"}};

TEST(H2Sniff, PrefaceMatching) {
  EXPECT_EQ(match_h2_preface(""), PrefaceMatch::kNeedMore);
  EXPECT_EQ(match_h2_preface("PRI * HT"), PrefaceMatch::kNeedMore);
  EXPECT_EQ(match_h2_preface("GET / HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(match_h2_preface(std::string(kH2Preface) + "xx"), PrefaceMatch::kHttp2);
}

TEST(H2Sniff, ReadsAuthorityAndSlimeHeadersAfterSettings) {
  std::string data(kH2Preface);
  data += frame(0x4, 0, 0, std::string(6, '\0'));  // SETTINGS with one entry
  data += frame(0x8, 0, 0, std::string("\0\0\xff\xff", 4));  // WINDOW_UPDATE
  data += frame(0x1, 0x4, 1, hpack(kGrpcHeaders));
  // Every strict prefix needs more data.
  for (size_t n = kH2Preface.size(); n < data.size(); n += 7)
    EXPECT_EQ(parse_h2_first_request(data.substr(0, n), 65536).state, H2FirstRequest::State::kNeedMore) << n;
  auto r = parse_h2_first_request(data, 65536);
  ASSERT_EQ(r.state, H2FirstRequest::State::kDone) << r.error;
  EXPECT_EQ(r.authority, "echo.default:50051");
  EXPECT_EQ(r.path, "/echo.Echo/Say");
  EXPECT_EQ(r.content_type, "application/grpc");
  EXPECT_TRUE(r.has_source_ns);
  EXPECT_EQ(r.source_ns, "default");
  EXPECT_EQ(r.orig_dest, "10.0.0.7:50051");
  EXPECT_EQ(r.stream_id, 1u);
}

TEST(H2Sniff, HandlesPaddingPriorityAndContinuation) {
  std::string block = hpack(kGrpcHeaders);
  std::string first = block.substr(0, 10), rest = block.substr(10);
  std::string payload;
  payload.push_back(3);                  // pad length
  payload += std::string(5, '\0');       // priority: dependency + weight
  payload += first + std::string(3, '\0');
  std::string data(kH2Preface);
  data += frame(0x4, 0, 0, "");
  data += frame(0x1, 0x8 | 0x20, 3, payload);  // PADDED | PRIORITY, no END_HEADERS
  data += frame(0x9, 0x4, 3, rest);            // CONTINUATION with END_HEADERS
  auto r = parse_h2_first_request(data, 65536);
  ASSERT_EQ(r.state, H2FirstRequest::State::kDone) << r.error;
  EXPECT_EQ(r.authority, "echo.default:50051");
  EXPECT_EQ(r.stream_id, 3u);
}

TEST(H2Sniff, RejectsBrokenOpenings) {
  std::string base(kH2Preface);
  auto err = [&](const std::string& frames) {
    return parse_h2_first_request(base + frames, 65536).state == H2FirstRequest::State::kError;
  };
  EXPECT_TRUE(err(frame(0x0, 0x1, 1, "data")));                                      // DATA first
  EXPECT_TRUE(err(frame(0x1, 0x4, 0, hpack(kGrpcHeaders))));                         // stream 0
  EXPECT_TRUE(err(frame(0x1, 0x0, 1, "\x82") + frame(0x4, 0, 0, "")));               // interrupted block
  EXPECT_TRUE(err(frame(0x1, 0x4, 1, "\xff\xff\xff\xff\xff")));                       // bad HPACK
  EXPECT_TRUE(err(std::string("\x01\x00\x00\x01\x04\x00\x00\x00\x01", 9)));          // 64 KiB frame
  EXPECT_EQ(parse_h2_first_request(base + frame(0x1, 0x4, 1, hpack(kGrpcHeaders)), 16).state,
            H2FirstRequest::State::kError);  // header block over the limit
}

TEST(H2Reply, RefusalForGrpcIsATrailersOnlyResponseThenGoaway) {
  auto out = h2_refusal(1, 403, "destination x is not a mesh service", true);
  ASSERT_GE(out.size(), 9u);
  EXPECT_EQ(out[3], 0x4);  // SETTINGS first
  // The HEADERS frame decodes to :status 200 + grpc-status 7.
  size_t pos = 9;
  size_t len = (size_t(uint8_t(out[pos])) << 16) | (size_t(uint8_t(out[pos + 1])) << 8) | uint8_t(out[pos + 2]);
  EXPECT_EQ(out[pos + 3], 0x1);
  EXPECT_EQ(out[pos + 4], 0x5);  // END_STREAM | END_HEADERS
  std::string data(kH2Preface);
  data += out.substr(pos, 9 + len);
  auto parsed = parse_h2_first_request(data, 65536);
  ASSERT_EQ(parsed.state, H2FirstRequest::State::kDone);
  EXPECT_EQ(parsed.content_type, "application/grpc");
  auto goaway = out.substr(pos + 9 + len);
  EXPECT_EQ(goaway[3], 0x7);
  EXPECT_NE(goaway.find("not a mesh service"), std::string::npos);
  EXPECT_EQ(grpc_status_for(504), 4u);
}

}  // namespace
}  // namespace slime::proxy

namespace slime::proxy {
namespace {

TEST(H2Sniff, StripsOnlyTheFirstSettingsAck) {
  std::string data(kH2Preface);
  std::string settings("\0\0\0\x04\0\0\0\0\0", 9), ack("\0\0\0\x04\x01\0\0\0\0", 9);
  data += settings;  // the client's SETTINGS
  data += ack + ack;
  auto before = data.size();
  EXPECT_EQ(strip_first_settings_ack(data), AckStrip::kStripped);
  EXPECT_EQ(data.size(), before - 9);
  EXPECT_EQ(data.substr(kH2Preface.size() + 9), ack);  // the second ACK stays
  std::string partial(kH2Preface);
  partial += settings + ack.substr(0, 4);
  EXPECT_EQ(strip_first_settings_ack(partial), AckStrip::kNeedMore);
  std::string bad(kH2Preface);
  bad += std::string("\0\0\x01\x04\x01\0\0\0\0x", 10);  // ACK with a payload
  EXPECT_EQ(strip_first_settings_ack(bad), AckStrip::kError);
}

}  // namespace
}  // namespace slime::proxy

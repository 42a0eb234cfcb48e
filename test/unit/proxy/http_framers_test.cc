// The relay's HTTP/1.1 framers: the rewritten request head, obs-fold refusal, and response framing
// (Content-Length, chunked, close-delimited, HEAD).
#include <gtest/gtest.h>

#include "slime/proxy/http_framers.h"

namespace slime::proxy {
namespace {

TEST(RequestFramer, RewritesTheHeadForTheDestination) {
  std::string in =
      "POST http://details:9080/api?x=1 HTTP/1.1\r\nHost: details:9080\r\nSlime-Orig-Dest: 10.0.0.7:9080\r\n"
      "Content-Length: 3\r\nslime-source-ns: default\r\nExpect: 100-continue\r\nX-Trace: a, b\r\n\r\nabc";
  std::vector<RequestFramer::Field> fields;
  RequestFramer f(8192, 1024, fields);
  error_code ec;
  size_t head = f.put_contiguous(boost::asio::buffer(in), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(f.is_header_done());
  EXPECT_EQ(head, in.size() - 3);  // the body is left for the relay
  EXPECT_FALSE(f.is_done());
  ASSERT_NE(f.find("slime-orig-dest"), nullptr);
  EXPECT_EQ(f.find("SLIME-SOURCE-NS")->value, "default");
  Destination d;
  d.host_header = "details.default:9080";
  d.origin_target = "/api?x=1";
  std::string out;
  build_request_head(out, f, d);
  EXPECT_EQ(out,
            "POST /api?x=1 HTTP/1.1\r\nHost: details.default:9080\r\nContent-Length: 3\r\nX-Trace: a, b\r\n\r\n");
}

TEST(RequestFramer, RefusesFoldedValues) {
  std::string in = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n";
  std::vector<RequestFramer::Field> fields;
  RequestFramer f(8192, 1024, fields);
  error_code ec;
  f.put_contiguous(boost::asio::buffer(in), ec);
  EXPECT_EQ(ec, http::error::bad_value);
}

TEST(RequestFramer, RefusesTwoHostFields) {
  // Found by fuzz_proxy_request: only the first Host was rewritten, so the second went upstream.
  std::string in = "GET / HTTP/1.1\r\nHost: a\r\nhost: b:80\r\n\r\n";
  std::vector<RequestFramer::Field> fields;
  RequestFramer f(8192, 1024, fields);
  error_code ec;
  f.put_contiguous(boost::asio::buffer(in), ec);
  EXPECT_EQ(ec, http::error::bad_value);
}

TEST(RequestFramer, LimitsApply) {
  std::vector<RequestFramer::Field> fields;
  RequestFramer big_body(8192, 10, fields);
  std::string in = "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
  error_code ec;
  big_body.put_contiguous(boost::asio::buffer(in), ec);
  EXPECT_EQ(ec, http::error::body_limit);
  RequestFramer big_head(16, 10, fields);
  big_head.put_contiguous(boost::asio::buffer(in), ec);
  EXPECT_EQ(ec, http::error::header_limit);
}

// Feeds a response in pieces the way the relay does; returns the bytes taken in total.
size_t frame(ResponseFramer& f, const std::string& bytes, size_t piece) {
  std::string buf;
  size_t taken = 0, fed = 0;
  while (!f.is_done() && fed < bytes.size()) {
    buf += bytes.substr(fed, piece);
    fed += std::min(piece, bytes.size() - fed);
    error_code ec;
    size_t n = f.put(boost::asio::buffer(buf), ec);
    if (ec && ec != http::error::need_more) return taken;
    buf.erase(0, n);
    taken += n;
  }
  return taken;
}

TEST(ResponseFramer, FindsTheEndOfEachKindOfResponse) {
  std::string cl = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT";
  ResponseFramer a(8192, false);
  EXPECT_EQ(frame(a, cl, 7), cl.size() - 4);
  EXPECT_TRUE(a.is_done());
  EXPECT_EQ(a.status(), 200u);
  EXPECT_TRUE(a.keep_alive());

  std::string chunked = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  for (size_t piece : {1, 3, 64}) {
    ResponseFramer b(8192, false);
    EXPECT_EQ(frame(b, chunked, piece), chunked.size()) << piece;
    EXPECT_TRUE(b.is_done());
  }

  std::string close = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end";
  ResponseFramer c(8192, false);
  frame(c, close, 64);
  EXPECT_TRUE(c.need_eof());
  EXPECT_FALSE(c.is_done());
  error_code ec;
  c.put_eof(ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(c.is_done());

  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
  ResponseFramer d(8192, /*head_request=*/true);
  EXPECT_EQ(frame(d, head, 64), head.size());
  EXPECT_TRUE(d.is_done());
}

}  // namespace
}  // namespace slime::proxy

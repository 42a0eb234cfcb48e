// RFC 9110 §7.6.1 at the proxy: hop-by-hop fields stay on the client's connection, and a request whose
// framing two parties could read differently (Transfer-Encoding with Content-Length) is refused.
#include <gtest/gtest.h>

#include "slime/proxy/http_framers.h"
#include "slime/proxy/routing/response_head.h"

namespace slime::proxy {
namespace {

struct Parsed {
  std::vector<RequestFramer::Field> fields;
  std::unique_ptr<RequestFramer> framer;
  error_code ec;
};

// Parses `in` as a request head (the string must outlive the framer's views).
std::unique_ptr<Parsed> parse(const std::string& in) {
  auto p = std::make_unique<Parsed>();
  p->framer = std::make_unique<RequestFramer>(8192, 1 << 20, p->fields);
  p->framer->put_contiguous(boost::asio::buffer(in), p->ec);
  return p;
}

std::string upstream_head(const std::string& in) {
  auto p = parse(in);
  EXPECT_FALSE(p->ec) << p->ec.message();
  Destination d;
  d.host_header = "web.default";
  std::string out;
  build_request_head(out, *p->framer, d);
  return out;
}

TEST(HopByHop, ConnectionKeepAliveTeAndProxyFieldsAreDropped) {
  std::string in =
      "GET /x HTTP/1.1\r\nHost: web.default\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\n"
      "TE: trailers\r\nProxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\nX-Hop: 1\r\n"
      "X-End: 2\r\nUpgrade: h2c\r\n\r\n";
  EXPECT_EQ(upstream_head(in), "GET /x HTTP/1.1\r\nHost: web.default\r\nX-End: 2\r\n\r\n");
}

TEST(HopByHop, WebSocketUpgradeIsRelayedWithItsOwnConnectionField) {
  std::string in =
      "GET /ws HTTP/1.1\r\nHost: web.default\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n";
  EXPECT_EQ(upstream_head(in),
            "GET /ws HTTP/1.1\r\nHost: web.default\r\nUpgrade: websocket\r\nSec-WebSocket-Key: abc\r\n"
            "Sec-WebSocket-Version: 13\r\nConnection: upgrade\r\n\r\n");
}

TEST(HopByHop, FramingFieldsStayWhateverConnectionNames) {
  // Dropping Content-Length while relaying the body as framed would let the body be read as a second request.
  std::string in =
      "POST / HTTP/1.1\r\nHost: web.default\r\nConnection: Content-Length, Transfer-Encoding, Host\r\n"
      "Content-Length: 3\r\n\r\nabc";
  EXPECT_EQ(upstream_head(in), "POST / HTTP/1.1\r\nHost: web.default\r\nContent-Length: 3\r\n\r\n");
  std::string chunked =
      "POST / HTTP/1.1\r\nHost: web.default\r\nTransfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n\r\n";
  EXPECT_EQ(upstream_head(chunked), "POST / HTTP/1.1\r\nHost: web.default\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(HopByHop, Http10KeepAliveIsTheProxysOwnField) {
  std::string in = "GET / HTTP/1.0\r\nHost: web.default\r\nConnection: keep-alive\r\n\r\n";
  EXPECT_EQ(upstream_head(in), "GET / HTTP/1.0\r\nHost: web.default\r\nConnection: keep-alive\r\n\r\n");
  std::string closing = "GET / HTTP/1.0\r\nHost: web.default\r\n\r\n";
  EXPECT_EQ(upstream_head(closing), "GET / HTTP/1.0\r\nHost: web.default\r\n\r\n");
}

TEST(HopByHop, TransferEncodingWithContentLengthIsRefused) {
  for (std::string in : {
           "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
           // Beast alone frames this one by Content-Length; an upstream may not.
           "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\n",
           "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: identity\r\n\r\n",
       }) {
    auto p = parse(in);
    EXPECT_TRUE(p->ec) << in;
  }
}

TEST(HopByHop, TransferEncodingMustEndInChunked) {
  auto p = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  EXPECT_EQ(p->ec, http::error::bad_transfer_encoding);
  p = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  EXPECT_FALSE(p->ec) << p->ec.message();
}

}  // namespace
}  // namespace slime::proxy

namespace slime::proxy {
namespace {

std::string client_head(const std::string& head, ClientConnection c) {
  std::string out = "untouched";
  EXPECT_EQ(response_head_length(head + "body"), head.size());
  return rewrite_response_head(head, c, out) ? out : "as is";
}

TEST(ResponseHopByHop, TheUpstreamsConnectionFieldsAreDroppedFramingStays) {
  std::string head =
      "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\n"
      "Proxy-Authenticate: Basic realm=\"up\"\r\nUpgrade: h2c\r\nTransfer-Encoding: chunked\r\nX-End: 2\r\n\r\n";
  EXPECT_EQ(client_head(head, ClientConnection::kKeep),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-End: 2\r\n\r\n");
  // Framing fields stay even when Connection names them.
  EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nConnection: Content-Length\r\nContent-Length: 3\r\n\r\n",
                        ClientConnection::kKeep),
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
}

TEST(ResponseHopByHop, ACleanHeadIsForwardedAsItCame) {
  EXPECT_EQ(client_head("HTTP/1.1 204 No Content\r\nX-End: 2\r\n\r\n", ClientConnection::kKeep), "as is");
  EXPECT_EQ(client_head("HTTP/1.1 204 No Content\r\n\r\n", ClientConnection::kKeep), "as is");
}

TEST(ResponseHopByHop, TheProxySaysWhatItDoesWithTheClientsConnection) {
  std::string head = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(client_head(head, ClientConnection::kKeep), "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(client_head(head, ClientConnection::kClose),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(client_head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", ClientConnection::kKeepHttp10),
            "HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n");
}

TEST(ResponseHopByHop, FoldedAndOddLinesAreHandledWhole) {
  // A folded field is dropped or kept whole; a head this cannot read is left as the parser took it.
  EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nX-Hop: a\r\n b\r\nConnection: X-Hop\r\nX-End: 1\r\n c\r\n\r\n",
                        ClientConnection::kKeep),
            "HTTP/1.1 200 OK\r\nX-End: 1\r\n c\r\n\r\n");
  EXPECT_EQ(client_head("HTTP/1.1 200 OK\r\nno colon here\r\nConnection: close\r\n\r\n", ClientConnection::kKeep),
            "as is");
  std::string out;
  EXPECT_EQ(response_head_length("HTTP/1.1 200 OK\r\nX: 1\r\n"), 0u);
  EXPECT_FALSE(rewrite_response_head("", ClientConnection::kClose, out));
}

}  // namespace
}  // namespace slime::proxy

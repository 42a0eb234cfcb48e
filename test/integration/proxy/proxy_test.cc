// The global-sidecar proxy end to end on loopback: backends registered as mesh Services/Endpoints, a
// client calling through the proxy, refusals, limits, upstream failures, and the access-log report of
// each call. h2c/gRPC is in proxy_h2_test.cc.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "proxy_fixture.h"
#include "slime/metric/accesslog/accesslog_reporter.h"
#include "slime/metric/accesslog/accesslog_server.h"

namespace slime::proxy {
namespace {

TEST_F(ProxyTest, ForwardsToAMeshServiceAndReusesUpstreamConnections) {
  HttpClient c(port_, "127.0.0.2");
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    auto r = c.request(get("web.default.svc.cluster.local", "/hello"));
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_EQ(r.body, "hello from web");
    EXPECT_EQ(r.headers["x-seen-host"], "web.default.svc.cluster.local");
  }
  EXPECT_EQ(web_->connections.load(), 1);  // one pooled upstream connection served all three
  EXPECT_GE(proxy_->stats().pooled_reuses.load(), 2u);
  auto cs = calls();
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[0].source_ip, "127.0.0.2");
  EXPECT_EQ(cs[0].authority, "web.default.svc.cluster.local");
  EXPECT_EQ(cs[0].status, 200u);
}

TEST_F(ProxyTest, ExpandsShortNamesAndStripsSlimeHeaders) {
  HttpClient c(port_);
  auto r = c.request(get("web:80", "/hello", {"Slime-Source-Ns: default"}));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["x-seen-host"], "web.default:80");
  EXPECT_EQ(r.headers["x-seen-source-ns"], "-");
  // Slime-Orig-Dest picks the dial target (an endpoint of the mesh) and is not forwarded.
  r = c.request(get("web.default", "/hello", {"Slime-Orig-Dest: 127.0.0.3:" + std::to_string(web_->port())}));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["x-seen-orig-dest"], "-");
}

TEST_F(ProxyTest, StreamsLargeBodiesBothWays) {
  HttpClient c(port_);
  std::string body(6 * 1024 * 1024, 'x');
  for (size_t i = 0; i < body.size(); i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
  // Chunked request body, echoed back with Content-Length.
  std::string req = "POST /echo HTTP/1.1\r\nHost: web.default\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t i = 0; i < body.size(); i += 100000) {
    auto part = body.substr(i, 100000);
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    req += size + part + "\r\n";
  }
  req += "0\r\n\r\n";
  auto r = c.request(req);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.size(), body.size());
  EXPECT_TRUE(r.body == body);
  // Chunked response relayed chunk by chunk.
  r = c.request(get("web.default", "/stream"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.substr(0, 16), "chunk-0;chunk-1;");
  EXPECT_NE(r.body.find("chunk-49;"), std::string::npos);
  // Expect: 100-continue is answered by the proxy.
  r = c.request("POST /echo HTTP/1.1\r\nHost: web.default\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
}

TEST_F(ProxyTest, RefusesWhatIsNotAMeshCall) {
  HttpClient c(port_);
  auto r = c.request(get("www.example.com"));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("not a mesh service"), std::string::npos);
  r = c.request(get("10.1.2.3:80"));  // an IP that is no cluster IP or endpoint
  EXPECT_EQ(r.status, 403);
  r = c.request("GET http://www.example.com/ HTTP/1.1\r\nHost: web.default\r\n\r\n");
  EXPECT_EQ(r.status, 403);
  r = c.request(get("127.0.0.1:" + std::to_string(port_)));
  EXPECT_EQ(r.status, 508);
  r = c.request("CONNECT web.default:443 HTTP/1.1\r\nHost: web.default:443\r\n\r\n");
  EXPECT_EQ(r.status, 405);
  // The connection is still usable after refusals without a body.
  r = c.request(get("web.default"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(proxy_->stats().refused.load(), 5u);
  EXPECT_EQ(web_->connections.load(), 1);
}

TEST_F(ProxyTest, EnforcesHeaderAndBodyLimitsAndRejectsGarbage) {
  {
    HttpClient c(port_);
    auto r = c.request(get("web.default", "/hello", {"X-Big: " + std::string(20000, 'a')}));
    EXPECT_EQ(r.status, 431);
  }
  {
    HttpClient c(port_);
    auto r = c.request("POST /echo HTTP/1.1\r\nHost: web.default\r\nContent-Length: 999999999\r\n\r\n");
    EXPECT_EQ(r.status, 413);
  }
  {
    HttpClient c(port_);
    auto r = c.request("\x01\x02 garbage \r\n\r\n");
    EXPECT_EQ(r.status, 400);
  }
  {
    HttpClient c(port_);
    auto r = c.request("GET / HTTP/1.1\r\nHost: web.default\r\nContent-Length: -5\r\n\r\n");
    EXPECT_EQ(r.status, 400);
  }
  HttpClient c(port_);
  EXPECT_EQ(c.request(get("web.default")).status, 200);  // still serving
}

TEST_F(ProxyTest, UpstreamFailuresBecome502Or504WithAReason) {
  HttpClient c(port_);
  auto r = c.request(get("down.default"));
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(r.body.find("upstream 127.0.0.5:" + std::to_string(dead_port_)), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("connect"), std::string::npos);
  r = c.request(get("web.default", "/slow"));
  EXPECT_EQ(r.status, 504);
  EXPECT_NE(r.body.find("timed out"), std::string::npos) << r.body;
  HttpClient c2(port_);
  r = c2.request(get("web.default", "/reset"));
  EXPECT_EQ(r.status, 502);
  // A truncated upstream body ends the client connection instead of inventing bytes.
  HttpClient c3(port_);
  c3.send_raw(get("web.default", "/truncated"));
  r = c3.read_response(2000);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(c3.closed_by_peer(2000));
  HttpClient c4(port_);
  EXPECT_EQ(c4.request(get("web.default")).status, 200);
  EXPECT_GE(proxy_->stats().upstream_errors.load(), 3u);
}

TEST_F(ProxyTest, SlowAndVanishingClientsDoNotHoldTheProxy) {
  HttpClient slow(port_);
  slow.send_raw("GET /hello HTTP/1.1\r\nHost: web.def");
  EXPECT_TRUE(slow.closed_by_peer(3000));  // header timeout (500 ms here)
  for (int i = 0; i < 20; ++i) {
    HttpClient gone(port_);
    gone.send_raw("POST /echo HTTP/1.1\r\nHost: web.default\r\nContent-Length: 100000\r\n\r\npartial");
    gone.close();
  }
  HttpClient c(port_);
  EXPECT_EQ(c.request(get("web.default")).status, 200);
  for (int i = 0; i < 100 && proxy_->stats().active_connections.load() > 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_LE(proxy_->stats().active_connections.load(), 1);
}

TEST_F(ProxyTest, ProbeAnswers200OnEveryPath) {
  HttpClient c(proxy_->probe_port());
  auto r = c.request(get("anything", "/healthz/ready"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  r = c.request(get("anything", "/healthz/live"));
  EXPECT_EQ(r.status, 200);
}

TEST(AccessLogReport, ForwardedCallsArriveAtTheAccessLogService) {
  std::mutex mu;
  std::vector<metric::AccessLogEvent> got;
  metric::AccessLogServer als([&](metric::AccessLogBatch&& b) {
    std::lock_guard lock(mu);
    for (auto& e : b) got.push_back(std::move(e));
  });
  ASSERT_TRUE(als.start("127.0.0.1:0"));
  metric::AccessLogReporter reporter({.target = "127.0.0.1:" + std::to_string(als.port())});
  HttpBackend web("web");
  ProxyOptions opts;
  opts.listen = {"127.0.0.1:0"};
  opts.on_call = [&](const CallRecord& c) {
    reporter.report({c.source_ip, c.source_port, c.listen_port, c.authority, c.path, c.status});
  };
  ProxyServer proxy(opts);
  proxy.set_mesh(mesh_for(web.port(), 1, 1));
  ASSERT_TRUE(proxy.start());
  HttpClient c(proxy.ports()[0], "127.0.0.2");
  ASSERT_EQ(c.request(get("web:80", "/hello", {"Slime-Source-Ns: default"})).status, 200);
  ASSERT_TRUE(reporter.flush(std::chrono::seconds(5)));
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(mu);
      if (!got.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].source_ip, "127.0.0.2");
  EXPECT_EQ(got[0].authority, "web.default:80");
  EXPECT_EQ(got[0].upstream_cluster, "inbound|" + std::to_string(proxy.ports()[0]) + "||");
  EXPECT_EQ(reporter.dropped(), 0u);
}

}  // namespace
}  // namespace slime::proxy

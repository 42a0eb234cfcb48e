// The global-sidecar proxy end to end on loopback: backends registered as mesh Services/Endpoints, a
// client calling through the proxy, refusals, limits, upstream failures, h2c/gRPC, and the access-log
// report of each call.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <mutex>
#include <thread>

#include "echo.grpc.pb.h"
#include "slime/core/yaml.h"
#include "slime/metric/accesslog/accesslog_reporter.h"
#include "slime/metric/accesslog/accesslog_server.h"
#include "slime/proxy/server.h"
#include "slime/store/memory_store.h"
#include "test_backends.h"

namespace slime::proxy {
namespace {

using slime::testing::get;
using slime::testing::GrpcEchoBackend;
using slime::testing::HttpBackend;
using slime::testing::HttpClient;

// Services "web" (headless, endpoint = the HTTP backend), "grpc-echo" (headless, the gRPC backend) and
// "down" (an endpoint where nothing listens), all in namespace "default".
std::shared_ptr<const MeshIndex> mesh_for(uint16_t web_port, uint16_t grpc_port, uint16_t dead_port) {
  std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: default}
subsets: [{addresses: [{ip: 127.0.0.3}], ports: [{name: http, port: WEB}]}]
---
apiVersion: v1
kind: Service
metadata: {name: grpc-echo, namespace: default}
spec: {clusterIP: None, ports: [{name: grpc, port: 50051}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: grpc-echo, namespace: default}
subsets: [{addresses: [{ip: 127.0.0.4}], ports: [{name: grpc, port: GRPC}]}]
---
apiVersion: v1
kind: Service
metadata: {name: down, namespace: default}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: down, namespace: default}
subsets: [{addresses: [{ip: 127.0.0.5}], ports: [{name: http, port: DEAD}]}]
)";
  auto replace = [&](const std::string& what, uint16_t port) {
    yaml.replace(yaml.find(what), what.size(), std::to_string(port));
  };
  replace("WEB", web_port);
  replace("GRPC", grpc_port);
  replace("DEAD", dead_port);
  store::MemoryStore mem;
  auto parsed = core::parse_yaml_documents(yaml);
  EXPECT_TRUE(parsed.errors.empty());
  for (auto& d : parsed.documents) mem.put(core::Object(d.json));
  return std::make_shared<const MeshIndex>(MeshIndex::build(mem));
}

uint16_t unused_port() {
  // Bind and release: nothing listens there afterwards.
  HttpBackend b("tmp", "127.0.0.5");
  return b.port();
}

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dead_port_ = unused_port();
    web_ = std::make_unique<HttpBackend>("web");
    grpc_ = std::make_unique<GrpcEchoBackend>();
    ProxyOptions opts;
    opts.listen = {"127.0.0.1:0"};
    opts.probe_addr = "127.0.0.1:0";
    opts.max_header_bytes = 8 * 1024;
    opts.max_body_bytes = 16 * 1024 * 1024;
    opts.header_timeout = std::chrono::milliseconds(500);
    opts.response_timeout = std::chrono::milliseconds(800);
    opts.connect_timeout = std::chrono::milliseconds(1000);
    opts.threads = 2;
    opts.on_call = [this](const CallRecord& c) {
      std::lock_guard lock(calls_mu_);
      calls_.push_back(c);
    };
    customize(opts);
    proxy_ = std::make_unique<ProxyServer>(opts);
    proxy_->set_mesh(mesh_for(web_->port(), grpc_->port(), dead_port_));
    auto started = proxy_->start();
    ASSERT_TRUE(started) << started.error().str();
    port_ = proxy_->ports().at(0);
  }
  void TearDown() override {
    proxy_.reset();
    grpc_.reset();
    web_.reset();
  }
  virtual void customize(ProxyOptions&) {}

  std::vector<CallRecord> calls() {
    std::lock_guard lock(calls_mu_);
    return calls_;
  }

  uint16_t dead_port_ = 0;
  std::unique_ptr<HttpBackend> web_;
  std::unique_ptr<GrpcEchoBackend> grpc_;
  std::unique_ptr<ProxyServer> proxy_;
  uint16_t port_ = 0;
  std::mutex calls_mu_;
  std::vector<CallRecord> calls_;
};

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

std::unique_ptr<slime::test::Echo::Stub> echo_stub(uint16_t proxy_port, const std::string& authority) {
  grpc::ChannelArguments args;
  args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, authority);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(proxy_port),
                                           grpc::InsecureChannelCredentials(), args);
  return slime::test::Echo::NewStub(channel);
}

TEST_F(ProxyTest, GrpcUnaryAndStreamingCallsGoThroughH2c) {
  auto stub = echo_stub(port_, "grpc-echo.default:50051");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  slime::test::Msg in, out;
  in.set_text("hi");
  auto status = stub->Say(&ctx, in, &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.text(), "echo: hi");

  grpc::ClientContext sctx;
  sctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = stub->Chat(&sctx);
  for (int i = 0; i < 10; ++i) {
    slime::test::Msg m;
    m.set_text("m" + std::to_string(i));
    ASSERT_TRUE(stream->Write(m));
    slime::test::Msg reply;
    ASSERT_TRUE(stream->Read(&reply));
    EXPECT_EQ(reply.text(), "echo: m" + std::to_string(i));
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_GE(proxy_->stats().h2_connections.load(), 1u);
  auto cs = calls();
  ASSERT_FALSE(cs.empty());
  EXPECT_TRUE(cs[0].h2);
  EXPECT_EQ(cs[0].authority, "grpc-echo.default:50051");
}

TEST_F(ProxyTest, GrpcToANonMeshAuthorityIsPermissionDenied) {
  auto stub = echo_stub(port_, "elsewhere.example:50051");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  slime::test::Msg in, out;
  auto status = stub->Say(&ctx, in, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_NE(status.error_message().find("not a mesh service"), std::string::npos);
}

TEST_F(ProxyTest, GrpcToAServiceWithoutListenerIsUnavailable) {
  auto stub = echo_stub(port_, "down.default:80");
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  slime::test::Msg in, out;
  auto status = stub->Say(&ctx, in, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
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

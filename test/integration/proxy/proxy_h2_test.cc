// h2c through the proxy with real gRPC clients and servers: unary and streaming calls, refusals as gRPC
// statuses, and per-stream routing (one client connection carrying calls to several services, as Envoy's
// connection to the global sidecar does).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "proxy_fixture.h"

namespace slime::proxy {
namespace {

std::unique_ptr<slime::test::Echo::Stub> echo_stub(uint16_t proxy_port, const std::string& authority) {
  grpc::ChannelArguments args;
  args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, authority);
  args.SetMaxReceiveMessageSize(8 * 1024 * 1024);
  auto channel = grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(proxy_port),
                                           grpc::InsecureChannelCredentials(), args);
  return slime::test::Echo::NewStub(channel);
}

// One unary call; `authority` overrides the channel's for this stream only.
grpc::Status say(slime::test::Echo::Stub& stub, const std::string& text, std::string& reply,
                 const std::string& authority = {}, const std::string& source_ns = {}) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (!authority.empty()) ctx.set_authority(authority);
  if (!source_ns.empty()) ctx.AddMetadata("slime-source-ns", source_ns);
  slime::test::Msg in, out;
  in.set_text(text);
  auto status = stub.Say(&ctx, in, &out);
  reply = out.text();
  return status;
}

// Established IPv4 TCP connections to ip:port, counted at their client end (/proc/net/tcp): the proxy's
// upstream connections. (The gRPC backend's own end is an IPv6 socket.)
int established_to(const std::string& ip, uint16_t port) {
  unsigned a, b, c, d;
  if (std::sscanf(ip.c_str(), "%u.%u.%u.%u", &a, &b, &c, &d) != 4) return -1;
  char want[32];
  std::snprintf(want, sizeof want, "%02X%02X%02X%02X:%04X", d, c, b, a, port);
  std::ifstream in("/proc/net/tcp");
  std::string line;
  int n = 0;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string slot, local, remote, state;
    f >> slot >> local >> remote >> state;
    if (remote == want && state == "01") ++n;
  }
  return n;
}

TEST_F(ProxyTest, GrpcUnaryAndStreamingCallsGoThroughH2c) {
  auto stub = echo_stub(port_, "grpc-echo.default:50051");
  std::string reply;
  auto status = say(*stub, "hi", reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply, "echo: hi");

  grpc::ClientContext sctx;
  sctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto stream = stub->Chat(&sctx);
  for (int i = 0; i < 10; ++i) {
    slime::test::Msg m;
    m.set_text("m" + std::to_string(i));
    ASSERT_TRUE(stream->Write(m));
    slime::test::Msg r;
    ASSERT_TRUE(stream->Read(&r));
    EXPECT_EQ(r.text(), "echo: m" + std::to_string(i));
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(proxy_->stats().h2_connections.load(), 1u);
  auto cs = calls();
  ASSERT_EQ(cs.size(), 2u);  // one report per stream
  for (const auto& c : cs) {
    EXPECT_TRUE(c.h2);
    EXPECT_EQ(c.authority, "grpc-echo.default:50051");
    EXPECT_EQ(c.status, 200u);
    EXPECT_EQ(c.source_ip, "127.0.0.1");
  }
  EXPECT_EQ(cs[0].path, "/slime.test.Echo/Say");
  EXPECT_EQ(cs[1].path, "/slime.test.Echo/Chat");
}

TEST_F(ProxyTest, GrpcToANonMeshAuthorityIsPermissionDenied) {
  auto stub = echo_stub(port_, "elsewhere.example:50051");
  std::string reply;
  auto status = say(*stub, "x", reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_NE(status.error_message().find("not a mesh service"), std::string::npos);
}

TEST_F(ProxyTest, GrpcToAServiceWithoutListenerIsUnavailable) {
  auto stub = echo_stub(port_, "down.default:80");
  std::string reply;
  auto status = say(*stub, "x", reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("connect"), std::string::npos) << status.error_message();
}

TEST_F(ProxyTest, AnH2ResponseNotStartedInTimeIs504ForThatStreamOnly) {
  auto stub = echo_stub(port_, "grpc-echo.default:50051");
  std::string reply;
  auto status = say(*stub, "slow", reply);  // the fixture's response timeout is 800 ms, the backend takes 1.5 s
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_NE(status.error_message().find("response: timed out"), std::string::npos) << status.error_message();
  ASSERT_TRUE(say(*stub, "fast", reply).ok());
  EXPECT_EQ(reply, "echo: fast");
  EXPECT_EQ(proxy_->stats().h2_connections.load(), 1u);
}

TEST_F(ProxyTest, EachH2StreamIsRoutedOnItsOwn) {
  auto stub = echo_stub(port_, "grpc-echo.default:50051");
  std::string reply;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(say(*stub, "a", reply).ok());
    EXPECT_EQ(reply, "echo: a");
    ASSERT_TRUE(say(*stub, "b", reply, "grpc-hello.default:50051").ok());
    EXPECT_EQ(reply, "hello: b");
    // A refused stream ends alone: the connection and the calls after it go on.
    auto refused = say(*stub, "c", reply, "elsewhere.example:50051");
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(proxy_->stats().h2_connections.load(), 1u);
  EXPECT_EQ(proxy_->stats().refused.load(), 3u);
  auto cs = calls();
  ASSERT_EQ(cs.size(), 6u);
  EXPECT_EQ(std::ranges::count_if(cs, [](auto& c) { return c.authority == "grpc-hello.default:50051"; }), 3);
  EXPECT_EQ(std::ranges::count_if(cs, [](auto& c) { return c.authority == "grpc-echo.default:50051"; }), 3);
}

TEST_F(ProxyTest, ShortNamesExpandPerStreamWithTheCallersNamespace) {
  auto stub = echo_stub(port_, "grpc-echo:50051");
  std::string reply;
  auto status = say(*stub, "x", reply, "grpc-hello:50051", "default");
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply, "hello: x");
  auto cs = calls();
  ASSERT_EQ(cs.size(), 1u);
  EXPECT_EQ(cs[0].authority, "grpc-hello.default:50051");
}

TEST_F(ProxyTest, ConcurrentStreamsToTwoServicesShareOneClientConnection) {
  auto stub = echo_stub(port_, "grpc-echo.default:50051");
  grpc::ClientContext echo_ctx, hello_ctx;
  hello_ctx.set_authority("grpc-hello.default:50051");
  for (auto* c : {&echo_ctx, &hello_ctx}) c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto echo = stub->Chat(&echo_ctx);
  auto hello = stub->Chat(&hello_ctx);
  for (int i = 0; i < 20; ++i) {
    slime::test::Msg m, r;
    m.set_text(std::to_string(i));
    ASSERT_TRUE(echo->Write(m));
    ASSERT_TRUE(hello->Write(m));
    ASSERT_TRUE(hello->Read(&r));
    EXPECT_EQ(r.text(), "hello: " + std::to_string(i));
    ASSERT_TRUE(echo->Read(&r));
    EXPECT_EQ(r.text(), "echo: " + std::to_string(i));
  }
  echo->WritesDone();
  hello->WritesDone();
  EXPECT_TRUE(echo->Finish().ok());
  EXPECT_TRUE(hello->Finish().ok());
  EXPECT_EQ(proxy_->stats().h2_connections.load(), 1u);
}

TEST_F(ProxyTest, MessagesLargerThanTheFlowControlWindowsPassBothWays) {
  auto stub = echo_stub(port_, "grpc-echo.default:50051");
  std::string big(3 * 1024 * 1024, 'z');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  std::string reply;
  auto status = say(*stub, big, reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.size(), big.size() + 6);
  EXPECT_TRUE(reply == "echo: " + big);
}

TEST_F(ProxyTest, AnUpstreamVanishingMidStreamEndsOnlyItsStreams) {
  auto stub = echo_stub(port_, "grpc-echo.default:50051");
  grpc::ClientContext ctx;
  ctx.set_authority("grpc-hello.default:50051");
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto chat = stub->Chat(&ctx);
  slime::test::Msg m, r;
  m.set_text("before");
  ASSERT_TRUE(chat->Write(m));
  ASSERT_TRUE(chat->Read(&r));
  EXPECT_EQ(r.text(), "hello: before");
  grpc_hello_.reset();  // the backend shuts down with the stream open
  while (chat->Read(&r)) {
  }
  EXPECT_FALSE(chat->Finish().ok());
  std::string reply;
  auto status = say(*stub, "after", reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply, "echo: after");
}

class ShortUpstreamIdle : public ProxyTest {
  void customize(ProxyOptions& o) override { o.idle_timeout = std::chrono::milliseconds(300); }
};

TEST_F(ShortUpstreamIdle, AnH2ConnectionWithoutStreamsIsClosedAfterTheIdleTimeout) {
  HttpClient c(port_);
  ASSERT_TRUE(c.connected());
  // The preface and an empty SETTINGS, then nothing: no stream ever opens.
  ASSERT_TRUE(c.send_raw(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + std::string("\0\0\0\x04\0\0\0\0\0", 9)));
  EXPECT_TRUE(c.closed_by_peer(3000));
}

TEST_F(ShortUpstreamIdle, UpstreamConnectionsWithoutStreamsAreClosedAndReopenedOnDemand) {
  auto stub = echo_stub(port_, "grpc-hello.default:50051");
  // An open stream to grpc-echo keeps the client connection under the (long) tunnel idle timeout.
  grpc::ClientContext keep;
  keep.set_authority("grpc-echo.default:50051");
  keep.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto chat = stub->Chat(&keep);
  slime::test::Msg m, r;
  m.set_text("open");
  ASSERT_TRUE(chat->Write(m));
  ASSERT_TRUE(chat->Read(&r));
  std::string reply;
  ASSERT_TRUE(say(*stub, "1", reply).ok());
  EXPECT_EQ(established_to("127.0.0.6", grpc_hello_->port()), 1);
  for (int i = 0; i < 100 && established_to("127.0.0.6", grpc_hello_->port()) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(established_to("127.0.0.6", grpc_hello_->port()), 0);
  ASSERT_TRUE(say(*stub, "2", reply).ok());  // same client connection, a new upstream one
  EXPECT_EQ(reply, "hello: 2");
  EXPECT_EQ(proxy_->stats().h2_connections.load(), 1u);
  chat->WritesDone();
  EXPECT_TRUE(chat->Finish().ok());
}

}  // namespace
}  // namespace slime::proxy

namespace slime::proxy {
namespace {

using slime::testing::h2c_request;

TEST_F(ProxyTest, PlainH2RefusalsCarryTheStatusAndTheReason) {
  auto r = h2c_request(port_, "GET", "elsewhere.example", "/x");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, "slime-proxy: destination elsewhere.example is not a mesh service\n");
  r = h2c_request(port_, "GET", "down.default:80", "/x");
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(r.body.find("connect"), std::string::npos) << r.body;
  r = h2c_request(port_, "GET", "grpc-echo.default:50051", "/x", {"X-Big: " + std::string(10 * 1024, 'b')});
  EXPECT_EQ(r.status, 431);  // the fixture's header limit is 8 KiB
  EXPECT_GE(proxy_->stats().bad_requests.load(), 1u);
}

class SmallBodyLimit : public ProxyTest {
  void customize(ProxyOptions& o) override { o.max_body_bytes = 64 * 1024; }
};

TEST_F(SmallBodyLimit, AnH2BodyOverTheLimitIsRefusedAndTheConnectionGoesOn) {
  auto stub = echo_stub(port_, "grpc-echo.default:50051");
  std::string reply;
  auto status = say(*stub, std::string(1024 * 1024, 'x'), reply);  // the backend would wait for all of it
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_NE(status.error_message().find("larger than 65536 bytes"), std::string::npos) << status.error_message();
  EXPECT_EQ(proxy_->stats().bad_requests.load(), 1u);
  status = say(*stub, "ok", reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply, "echo: ok");
  EXPECT_EQ(proxy_->stats().h2_connections.load(), 1u);
}

}  // namespace
}  // namespace slime::proxy

namespace slime::proxy {
namespace {

// Many callers on one connection at once, each stream with its own fate: answered by either backend,
// refused, unreachable, cancelled by the client while the backend is still working, or cut in the middle
// of a bidirectional stream. Every call must end with the status its fate implies, and the connection
// must still serve afterwards (run under ASan, this is the relay's lifetime test).
TEST_F(ProxyTest, ManyStreamsWithMixedFatesOnOneConnection) {
  auto stub = echo_stub(port_, "grpc-echo.default:50051");
  std::atomic<int> wrong{0};
  std::mutex mu;
  std::vector<std::string> wrong_what;
  auto expect = [&](bool ok, const std::string& what) {
    if (ok) return;
    ++wrong;
    std::lock_guard lock(mu);
    if (wrong_what.size() < 5) wrong_what.push_back(what);
  };
  std::vector<std::thread> callers;
  for (int t = 0; t < 8; ++t)
    callers.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        int fate = (t + i) % 6;
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        slime::test::Msg in, out;
        in.set_text("x" + std::to_string(i));
        if (fate == 0 || fate == 1) {
          if (fate == 1) ctx.set_authority("grpc-hello.default:50051");
          auto s = stub->Say(&ctx, in, &out);
          expect(s.ok() && out.text() == (fate == 0 ? "echo: " : "hello: ") + in.text(), "answered: " + s.error_message());
        } else if (fate == 2) {
          ctx.set_authority("elsewhere.example:1");
          auto s = stub->Say(&ctx, in, &out);
          expect(s.error_code() == grpc::StatusCode::PERMISSION_DENIED, "refused: " + s.error_message());
        } else if (fate == 3) {
          ctx.set_authority("down.default:80");
          auto s = stub->Say(&ctx, in, &out);
          expect(s.error_code() == grpc::StatusCode::UNAVAILABLE, "unreachable: " + s.error_message());
        } else if (fate == 4) {
          in.set_text("slow");  // the backend takes 1.5 s; the client gives up after 20 ms
          std::thread cancel([&ctx] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            ctx.TryCancel();
          });
          auto s = stub->Say(&ctx, in, &out);
          cancel.join();
          expect(s.error_code() == grpc::StatusCode::CANCELLED, "cancelled: " + s.error_message());
        } else {
          auto chat = stub->Chat(&ctx);
          slime::test::Msg r;
          bool ok = chat->Write(in) && chat->Read(&r) && r.text() == "echo: " + in.text();
          ctx.TryCancel();  // cut in the middle: no WritesDone
          expect(ok, "chat before the cut");
          (void)chat->Finish();
        }
      }
    });
  for (auto& c : callers) c.join();
  EXPECT_EQ(wrong.load(), 0) << (wrong_what.empty() ? "" : wrong_what[0]);
  std::string reply;
  ASSERT_TRUE(say(*stub, "still here", reply).ok());
  EXPECT_EQ(reply, "echo: still here");
  EXPECT_EQ(proxy_->stats().h2_connections.load(), 1u);
}

}  // namespace
}  // namespace slime::proxy

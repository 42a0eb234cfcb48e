// TCP lazy loading end to end, on loopback: a caller's TCP connection arrives at `slime proxy --tcp-listen`
// with a PROXY header (what the caller's Envoy writes through upstream_proxy_protocol), is relayed to a
// TCP echo Service registered in the manifest directory, and the caller's ServiceFence and Sidecar learn
// the Service. Headers that are absent, malformed, oversized or late are refused (the connection closes).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "learning_harness.h"
#include "slime/proxy/routing/proxy_protocol.h"

namespace slime::learning {
namespace {

// A blocking loopback client with a receive timeout (so a test never hangs).
class TcpClient {
 public:
  explicit TcpClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~TcpClient() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& s) {
    for (size_t off = 0; off < s.size();) {
      auto n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads exactly n bytes (less when the peer closes or the timeout passes).
  std::string read(size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
      auto r = ::recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
      if (r <= 0) break;
      out.append(buf, static_cast<size_t>(r));
    }
    return out;
  }
  // True when the peer closed (EOF or reset) without sending anything more.
  bool closed_without_data() {
    char c;
    auto r = ::recv(fd_, &c, 1, 0);
    return r == 0 || (r < 0 && errno == ECONNRESET);
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

bool learned(const std::string& hosts, const std::string& service) {
  return hosts.find("*/" + service + ".default.svc.cluster.local") != std::string::npos;
}

TEST(TcpLazyload, FirstConnectionIsRelayedAndTeachesTheCallersSidecar) {
  LearningHarness h(0);
  ASSERT_TRUE(h.start()) << h.error();
  ASSERT_TRUE(h.wait_for_sidecar([](const std::string& hosts) { return hosts.find("istio-system/*") != std::string::npos; },
                                 std::chrono::seconds(10)));
  EXPECT_FALSE(learned(h.sidecar_hosts(), "tcp-echo"));

  // v2, as Envoy writes it: the caller's pod IP and the cluster IP:port it dialled; payload in the same write.
  TcpClient c(h.tcp_proxy_port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(proxy::encode_proxy_v2(kCallerIp, 40000, "127.0.0.6", h.tcp_echo().port()) + "ping"));
  EXPECT_EQ(c.read(4), "ping");
  ASSERT_TRUE(c.send("pong"));
  EXPECT_EQ(c.read(4), "pong");
  // Half-close: the echo sees EOF, closes its side, and the proxy passes that on.
  c.shutdown_write();
  EXPECT_TRUE(c.closed_without_data());

  ASSERT_TRUE(h.wait_for_sidecar([](const std::string& hosts) { return learned(hosts, "tcp-echo"); },
                                 std::chrono::seconds(5)))
      << h.sidecar_hosts();
  EXPECT_TRUE(h.fence_status()["metricStatus"].contains("{destination_service=\"tcp-echo.default.svc.cluster.local\"}"))
      << h.fence_status().dump();

  // v1 to a headless Service's endpoint: the Service port (7000) is found by the endpoint port's name.
  TcpClient v1(h.tcp_proxy_port());
  ASSERT_TRUE(v1.send("PROXY TCP4 " + std::string(kCallerIp) + " 127.0.0.7 40001 " +
                      std::to_string(h.tcp_echo_headless().port()) + "\r\nhello"));
  EXPECT_EQ(v1.read(5), "hello");
  ASSERT_TRUE(h.wait_for_sidecar(
      [](const std::string& hosts) { return learned(hosts, "tcp-headless") && learned(hosts, "tcp-echo"); },
      std::chrono::seconds(5)))
      << h.sidecar_hosts();
}

TEST(TcpLazyload, LargeTransfersKeepEveryByteInOrderBothWays) {
  LearningHarness h(0);
  ASSERT_TRUE(h.start()) << h.error();
  TcpClient c(h.tcp_proxy_port());
  ASSERT_TRUE(c.send(proxy::encode_proxy_v2(kCallerIp, 40002, "127.0.0.6", h.tcp_echo().port())));
  // 8 MiB written while the echo comes back: the relay's fixed buffers and back-pressure must neither
  // lose nor reorder bytes, and a writer faster than the reader must not make the proxy buffer it all.
  std::string data(8 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 131) ^ (i >> 12));
  std::thread writer([&] {
    c.send(data);
    c.shutdown_write();
  });
  std::string back = c.read(data.size());
  writer.join();
  ASSERT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
  EXPECT_TRUE(c.closed_without_data());
}

TEST(TcpLazyload, BadHeadersAndUnknownDestinationsAreRefusedAndNotLearned) {
  LearningHarness h(0);
  ASSERT_TRUE(h.start()) << h.error();
  auto refused_before = h.proxy().stats().tcp_refused.load();
  const std::string echo_port = std::to_string(h.tcp_echo().port());
  struct Case {
    const char* what;
    std::string bytes;
  };
  std::string oversized("\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A\x21\x11\x10\x00", 16);
  oversized += std::string(64, 'x');
  const Case cases[] = {
      {"absent (plain HTTP)", "GET / HTTP/1.1\r\nHost: tcp-echo\r\n\r\n"},
      {"malformed v1", "PROXY TCP4 127.0.0.2 127.0.0.6 1 " + echo_port + " extra\r\nping"},
      {"v1 line too long", "PROXY TCP4 " + std::string(200, '1')},
      {"oversized v2", oversized},
      {"UNKNOWN", "PROXY UNKNOWN\r\nping"},
      {"not a mesh address", proxy::encode_proxy_v2(kCallerIp, 1, "127.0.0.9", 80) + "ping"},
      {"a cluster IP on an undeclared port", proxy::encode_proxy_v2(kCallerIp, 1, "127.0.0.6", 1) + "ping"},
      {"the proxy itself", proxy::encode_proxy_v2(kCallerIp, 1, "127.0.0.1", h.tcp_proxy_port()) + "ping"},
  };
  for (const auto& k : cases) {
    TcpClient c(h.tcp_proxy_port());
    ASSERT_TRUE(c.connected()) << k.what;
    c.send(k.bytes);
    EXPECT_TRUE(c.closed_without_data()) << k.what;
  }
  {
    // Nothing sent at all: closed after the header timeout (500 ms in the harness).
    TcpClient c(h.tcp_proxy_port());
    EXPECT_TRUE(c.closed_without_data()) << "no header";
  }
  // The header timeout closes the socket before the refusal is counted: wait for the count.
  const auto want = std::size(cases) + 1;
  for (int i = 0; i < 500 && h.proxy().stats().tcp_refused.load() - refused_before < want; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(h.proxy().stats().tcp_refused.load() - refused_before, want);

  // A real connection afterwards, so the reports are known to be through; nothing refused was learned.
  TcpClient ok(h.tcp_proxy_port());
  ASSERT_TRUE(ok.send(proxy::encode_proxy_v2(kCallerIp, 40003, "127.0.0.6", h.tcp_echo().port()) + "x"));
  EXPECT_EQ(ok.read(1), "x");
  ASSERT_TRUE(h.wait_for_sidecar([](const std::string& hosts) { return learned(hosts, "tcp-echo"); },
                                 std::chrono::seconds(5)));
  EXPECT_EQ(h.fence_status()["metricStatus"].size(), 1u) << h.fence_status().dump();
}

}  // namespace
}  // namespace slime::learning

// The admin server under slow and hostile clients (issue #13), on loopback: a client that trickles its
// request must not block /healthz, every exchange has a deadline, open connections and request sizes are
// capped, and state-changing routes answer only their methods.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "slime/runtime/admin_server.h"
#include "slime/runtime/service.h"

namespace slime::runtime {
namespace {

using namespace std::chrono_literals;

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until the peer closes or `timeout` passes; returns what came (empty on timeout with nothing).
std::string read_all(int fd, std::chrono::milliseconds timeout, bool* closed = nullptr) {
  std::string out;
  auto end = std::chrono::steady_clock::now() + timeout;
  if (closed) *closed = false;
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One request on its own connection; the raw response ("" when none arrived within `timeout`).
std::string round_trip(uint16_t port, const std::string& raw, std::chrono::milliseconds timeout = 3s) {
  int fd = connect_to(port);
  if (fd < 0) return "";
  ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
  auto r = read_all(fd, timeout);
  ::close(fd);
  return r;
}

int status_of(const std::string& response) {
  if (response.size() < 12 || !response.starts_with("HTTP/1.")) return 0;
  return std::stoi(response.substr(9, 3));
}

AdminServer::Handler text(std::string body) {
  return [body](const AdminRequest&) { return AdminResponse{200, body}; };
}

TEST(AdminServer, ATricklingClientDoesNotBlockHealthz) {
  AdminLimits limits;
  limits.request_deadline = 3s;
  AdminServer server(limits);
  server.route("/healthz", text("ok\n"), {"GET"});
  ASSERT_TRUE(server.start("127.0.0.1:0"));
  // A client sends its request head one byte at a time, never finishing it within its deadline.
  std::atomic<bool> stop{false};
  int slow = connect_to(server.port());
  ASSERT_GE(slow, 0);
  std::thread trickler([&] {
    std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(1000, 'a');
    for (char c : head) {
      if (stop || ::send(slow, &c, 1, MSG_NOSIGNAL) != 1) return;
      std::this_thread::sleep_for(50ms);
    }
  });
  std::this_thread::sleep_for(200ms);  // the trickler has the server's attention
  for (int i = 0; i < 3; ++i) {
    auto r = round_trip(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 2s);
    EXPECT_EQ(status_of(r), 200) << i << ": " << r;
  }
  stop = true;
  trickler.join();
  ::close(slow);
  server.stop();
}

TEST(AdminServer, EveryExchangeHasADeadline) {
  AdminLimits limits;
  limits.request_deadline = 300ms;
  AdminServer server(limits);
  server.route("/healthz", text("ok\n"));
  ASSERT_TRUE(server.start("127.0.0.1:0"));
  int fd = connect_to(server.port());
  ASSERT_GE(fd, 0);
  ::send(fd, "GET /hea", 8, MSG_NOSIGNAL);
  bool closed = false;
  auto got = read_all(fd, 10s, &closed);
  EXPECT_TRUE(closed) << "the server kept an unfinished request open";
  EXPECT_EQ(got, "");
  ::close(fd);
  server.stop();
}

TEST(AdminServer, OpenConnectionsAreCapped) {
  AdminLimits limits;
  limits.max_connections = 3;
  limits.request_deadline = 1s;
  AdminServer server(limits);
  server.route("/healthz", text("ok\n"));
  ASSERT_TRUE(server.start("127.0.0.1:0"));
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(connect_to(server.port()));
  std::this_thread::sleep_for(100ms);
  // The fourth is closed at once, without an answer.
  int extra = connect_to(server.port());
  bool closed = false;
  EXPECT_EQ(read_all(extra, 900ms, &closed), "");
  EXPECT_TRUE(closed);
  ::close(extra);
  // Once the idle ones reach their deadline, the slots are free again.
  for (int fd : idle) {
    bool c = false;
    read_all(fd, 10s, &c);
    EXPECT_TRUE(c);
    ::close(fd);
  }
  EXPECT_EQ(status_of(round_trip(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
  server.stop();
}

TEST(AdminServer, RequestSizeIsBounded) {
  AdminLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 100;
  AdminServer server(limits);
  server.route("/echo", [](const AdminRequest& r) { return AdminResponse{200, r.body}; }, {"POST"});
  ASSERT_TRUE(server.start("127.0.0.1:0"));
  auto big_head = round_trip(server.port(), "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(status_of(big_head), 431) << big_head;
  auto big_body = round_trip(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'b'));
  EXPECT_EQ(status_of(big_body), 413) << big_body;
  auto fits = round_trip(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(status_of(fits), 200);
  EXPECT_TRUE(fits.ends_with("hello")) << fits;
  server.stop();
}

TEST(AdminServer, RoutesAnswerOnlyTheirMethods) {
  AdminServer server;
  int resets = 0;
  server.route("/lazyload/debug/svfReset", [&resets](const AdminRequest&) {
    ++resets;
    return AdminResponse{200, "succeed\n"};
  }, {"POST"});
  server.route("/any", text("any\n"));
  ASSERT_TRUE(server.start("127.0.0.1:0"));
  auto get = round_trip(server.port(), "GET /lazyload/debug/svfReset?ns=default HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_of(get), 405) << get;
  EXPECT_NE(get.find("Allow: POST"), std::string::npos) << get;
  EXPECT_EQ(resets, 0);
  auto post = round_trip(server.port(), "POST /lazyload/debug/svfReset?ns=default HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(status_of(post), 200) << post;
  EXPECT_EQ(resets, 1);
  EXPECT_EQ(status_of(round_trip(server.port(), "DELETE /any HTTP/1.1\r\nHost: x\r\n\r\n")), 200);
  EXPECT_EQ(status_of(round_trip(server.port(), "GET /none HTTP/1.1\r\nHost: x\r\n\r\n")), 404);
  server.stop();
}

TEST(AdminServer, DebugEndpointsStayOnLoopbackUnlessNamed) {
  EXPECT_TRUE(is_loopback_addr("127.0.0.1:8081"));
  EXPECT_TRUE(is_loopback_addr(":8081"));
  EXPECT_TRUE(is_loopback_addr("[::1]:8081"));
  EXPECT_FALSE(is_loopback_addr("0.0.0.0:8081"));
  EXPECT_FALSE(is_loopback_addr("10.0.0.1:8081"));
  ServiceOptions opts;
  opts.admin_addr = "127.0.0.1:0";
  EXPECT_EQ(effective_debug_addr(opts), "");  // one loopback listener serves both
  opts.admin_addr = "0.0.0.0:8081";            // a pod's probe port (boot's Deployments)
  EXPECT_EQ(effective_debug_addr(opts), "127.0.0.1:8083");
  opts.debug_addr = "127.0.0.1:9999";
  EXPECT_EQ(effective_debug_addr(opts), "127.0.0.1:9999");
  opts.debug_addr = "0.0.0.0:8081";
  EXPECT_EQ(effective_debug_addr(opts), "");  // named the same as the admin address: shared on purpose
  opts.debug_addr = "off";
  EXPECT_EQ(effective_debug_addr(opts), "off");
}

}  // namespace
}  // namespace slime::runtime

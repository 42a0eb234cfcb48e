// TCP relay (`slime proxy --tcp-listen`, TCP lazy loading) vs straight to the backend, on loopback:
//   throughput  one connection, MiB written and echoed back at once (both directions busy), MiB/s;
//   conn rate   connect (+ PROXY v2 header through the proxy), one byte there and back, close;
//               from 1 and 8 client threads, connections per second.
// "proxy CPU" is the proxy's I/O threads' CPU per MiB or per connection (from /proc).
// Usage: bench_proxy_tcp [seconds per rate run, default 3] [MiB per throughput run, default 256]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "proxy_cpu.h"
#include "slime/core/object.h"
#include "slime/proxy/routing/proxy_protocol.h"
#include "slime/proxy/server.h"
#include "slime/store/memory_store.h"
#include "test_backends.h"

namespace {

using Clock = std::chrono::steady_clock;

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    auto w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

struct Target {
  std::string ip;  // where to connect
  uint16_t port;
  std::string header;  // sent first ("" direct)
};

// Opens a connection to the target (sending the header), or -1.
int open(const Target& t) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(t.port);
  ::inet_pton(AF_INET, t.ip.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      (!t.header.empty() && !send_all(fd, t.header.data(), t.header.size()))) {
    ::close(fd);
    return -1;
  }
  return fd;
}

double throughput_mib_s(const Target& t, size_t mib) {
  int fd = open(t);
  if (fd < 0) return 0;
  const size_t total = mib << 20;
  std::thread writer([&] {
    std::vector<char> buf(64 * 1024, 'x');
    for (size_t sent = 0; sent < total; sent += buf.size())
      if (!send_all(fd, buf.data(), buf.size())) break;
    ::shutdown(fd, SHUT_WR);
  });
  auto start = Clock::now();
  std::vector<char> buf(256 * 1024);
  size_t got = 0;
  while (got < total) {
    auto r = ::recv(fd, buf.data(), buf.size(), 0);
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  writer.join();
  ::close(fd);
  return got == total ? static_cast<double>(mib) / secs : 0;
}

double conn_rate(const Target& t, int threads, double seconds, std::atomic<long>& failures) {
  std::atomic<long> done{0};
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  std::vector<std::thread> ts;
  auto start = Clock::now();
  for (int i = 0; i < threads; ++i)
    ts.emplace_back([&] {
      while (Clock::now() < deadline) {
        int fd = open(t);
        char c = 'x';
        if (fd < 0 || !send_all(fd, &c, 1) || ::recv(fd, &c, 1, 0) != 1) {
          failures++;
        } else {
          done++;
        }
        if (fd >= 0) {
          // Reset instead of FIN: tens of thousands of client connections would otherwise sit in TIME_WAIT
          // on loopback ports; the proxy sees the reset and closes its upstream side.
          linger l{1, 0};
          ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
          ::close(fd);
        }
      }
    });
  for (auto& th : ts) th.join();
  return static_cast<double>(done.load()) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 3;
  size_t mib = argc > 2 ? static_cast<size_t>(std::atol(argv[2])) : 256;
  slime::testing::TcpEchoBackend echo("127.0.0.6");

  slime::store::MemoryStore mem;
  mem.put(slime::core::Object(slime::core::Json::parse(
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"echo","namespace":"bench"},
          "spec":{"clusterIP":"127.0.0.6","ports":[{"name":"tcp","port":)" +
      std::to_string(echo.port()) + "}]}}")));
  slime::proxy::ProxyOptions opts;
  opts.listen = {};
  opts.tcp_listen = {"127.0.0.1:0"};
  slime::proxy::ProxyServer server(opts);
  server.set_tcp_routes(std::make_shared<const slime::proxy::TcpRoutes>(slime::proxy::TcpRoutes::build(mem)));
  if (auto r = server.start(); !r) {
    std::fprintf(stderr, "proxy: %s\n", r.error().str().c_str());
    return 1;
  }
  const Target direct{"127.0.0.6", echo.port(), ""};
  const Target proxied{"127.0.0.1", server.tcp_ports().at(0),
                       slime::proxy::encode_proxy_v2("127.0.0.2", 40000, "127.0.0.6", echo.port())};

  std::printf("TCP through slime proxy --tcp-listen vs direct (loopback, echo backend, 1 proxy thread)\n");
  std::printf("%-22s %12s %12s %8s %16s\n", "run", "direct", "proxy", "ratio", "proxy CPU");
  {
    double d = throughput_mib_s(direct, mib);
    auto c0 = cpu_now();
    double p = throughput_mib_s(proxied, mib);
    auto c1 = cpu_now();
    std::printf("%-22s %8.0f MiB/s %6.0f MiB/s %7.0f%% %11.2f ms/MiB\n", ("throughput " + std::to_string(mib) + " MiB").c_str(),
                d, p, d > 0 ? 100 * p / d : 0, 1000 * (c1.proxy - c0.proxy) / static_cast<double>(mib));
  }
  for (int threads : {1, 8}) {
    std::atomic<long> fd_fail{0}, fp_fail{0};
    double d = conn_rate(direct, threads, seconds, fd_fail);
    auto c0 = cpu_now();
    double p = conn_rate(proxied, threads, seconds, fp_fail);
    auto c1 = cpu_now();
    double proxy_conns = p * seconds;
    std::printf("%-22s %10.0f/s %10.0f/s %7.0f%% %11.1f us/conn%s\n",
                ("conn rate " + std::to_string(threads) + " thread" + (threads > 1 ? "s" : "")).c_str(), d, p,
                d > 0 ? 100 * p / d : 0, proxy_conns > 0 ? 1e6 * (c1.proxy - c0.proxy) / proxy_conns : 0,
                fd_fail + fp_fail ? (" (failures: " + std::to_string(fd_fail + fp_fail) + ")").c_str() : "");
  }
  auto& s = server.stats();
  std::printf("proxy: %lu TCP connections, %lu refused, %lu upstream errors\n",
              static_cast<unsigned long>(s.tcp_connections.load()), static_cast<unsigned long>(s.tcp_refused.load()),
              static_cast<unsigned long>(s.upstream_errors.load()));
  server.stop();
  return 0;
}

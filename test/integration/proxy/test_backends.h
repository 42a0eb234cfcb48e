#pragma once
// Loopback test servers and clients for the proxy tests: an HTTP/1.1 backend with a few behaviours
// (hello, echo, headers, chunked stream, slow, reset, truncated), a gRPC Echo backend, and a raw HTTP client that
// can bind a chosen loopback source address (so the caller's "pod IP" is known).
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

namespace slime::testing {

class HttpBackend {
 public:
  // Listens on ip:0 with one thread per connection.
  explicit HttpBackend(std::string name, std::string ip = "127.0.0.3");
  ~HttpBackend();
  uint16_t port() const { return port_; }
  const std::string& ip() const { return ip_; }
  std::atomic<int> connections{0};

 private:
  void serve(int fd);
  std::string name_, ip_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
};

// A TCP echo server: each connection gets back what it sends, and is half-closed when the client is.
// One detached thread per connection (counted; the destructor waits for them).
class TcpEchoBackend {
 public:
  explicit TcpEchoBackend(std::string ip = "127.0.0.6");
  ~TcpEchoBackend();
  uint16_t port() const { return port_; }
  const std::string& ip() const { return ip_; }
  std::atomic<int> connections{0};

 private:
  void serve(int fd);
  std::string ip_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> active_{0};
  std::thread accept_thread_;
};

// Answers Say and every Chat message with `prefix` + the text; Say("slow") answers after 1.5 s.
class GrpcEchoBackend {
 public:
  explicit GrpcEchoBackend(std::string ip = "127.0.0.4", std::string prefix = "echo: ");
  ~GrpcEchoBackend();
  uint16_t port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

struct HttpResult {
  int status = 0;  // 0: no response (connection closed or reset)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

// One client connection (keep-alive), optionally bound to a source IP.
class HttpClient {
 public:
  HttpClient(uint16_t port, std::string source_ip = "127.0.0.1", std::string server_ip = "127.0.0.1");
  ~HttpClient();
  bool connected() const { return fd_ >= 0; }
  bool send_raw(std::string_view bytes);
  // Reads one response (Content-Length, chunked or until close).
  HttpResult read_response(int timeout_ms = 5000);
  HttpResult request(const std::string& raw) {
    if (!send_raw(raw)) return {};
    return read_response();
  }
  void close();
  // Whether the server closed the connection (EOF) within timeout_ms.
  bool closed_by_peer(int timeout_ms);

 private:
  int fd_ = -1;
  std::string buf_;
};

// One request over h2c with prior knowledge (libcurl), for the non-gRPC h2 cases.
HttpResult h2c_request(uint16_t port, const std::string& method, const std::string& authority,
                       const std::string& path, const std::vector<std::string>& headers = {},
                       const std::string& body = {});

std::string get(const std::string& host, const std::string& path = "/hello",
                const std::vector<std::string>& extra_headers = {});

}  // namespace slime::testing

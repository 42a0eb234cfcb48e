#include "test_backends.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>

#include "echo.grpc.pb.h"

namespace slime::testing {
namespace {

std::string lower(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Reads until `buf` holds `n` bytes; false on EOF/error/timeout.
bool fill(int fd, std::string& buf, size_t n, int timeout_ms) {
  char tmp[65536];
  while (buf.size() < n) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    ssize_t r = ::recv(fd, tmp, sizeof tmp, 0);
    if (r <= 0) return false;
    buf.append(tmp, static_cast<size_t>(r));
  }
  return true;
}

// Reads until `delim` appears; returns its end position or npos.
size_t fill_until(int fd, std::string& buf, std::string_view delim, int timeout_ms, size_t max = 1 << 20) {
  while (true) {
    auto pos = buf.find(delim);
    if (pos != std::string::npos) return pos + delim.size();
    if (buf.size() > max || !fill(fd, buf, buf.size() + 1, timeout_ms)) return std::string::npos;
  }
}

struct Head {
  std::string first_line;
  std::map<std::string, std::string> headers;
};

Head parse_head(std::string_view text) {
  Head h;
  size_t pos = text.find("\r\n");
  h.first_line = std::string(text.substr(0, pos));
  while (pos != std::string_view::npos && pos + 2 < text.size()) {
    size_t next = text.find("\r\n", pos + 2);
    auto line = text.substr(pos + 2, next - pos - 2);
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      auto v = line.substr(colon + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      h.headers[lower(std::string(line.substr(0, colon)))] = std::string(v);
    }
    pos = next;
  }
  return h;
}

// Reads a body framed by `head` from fd/buf. `until_close` for responses without framing.
bool read_body(int fd, std::string& buf, const Head& head, std::string& body, bool until_close, int timeout_ms) {
  auto te = head.headers.find("transfer-encoding");
  auto cl = head.headers.find("content-length");
  if (te != head.headers.end() && lower(te->second).find("chunked") != std::string::npos) {
    while (true) {
      auto end = fill_until(fd, buf, "\r\n", timeout_ms);
      if (end == std::string::npos) return false;
      size_t size = std::stoul(buf.substr(0, end - 2), nullptr, 16);
      buf.erase(0, end);
      if (size == 0) {
        auto e = fill_until(fd, buf, "\r\n", timeout_ms);  // trailers end
        if (e == std::string::npos) return false;
        buf.erase(0, e);
        return true;
      }
      if (!fill(fd, buf, size + 2, timeout_ms)) return false;
      body.append(buf, 0, size);
      buf.erase(0, size + 2);
    }
  }
  if (cl != head.headers.end()) {
    size_t n = std::stoul(cl->second);
    if (!fill(fd, buf, n, timeout_ms)) return false;
    body = buf.substr(0, n);
    buf.erase(0, n);
    return true;
  }
  if (until_close) {
    while (fill(fd, buf, buf.size() + 1, timeout_ms)) {
    }
    body = std::move(buf);
    buf.clear();
  }
  return true;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

sockaddr_in addr_of(const std::string& ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  return a;
}

}  // namespace

// --- HttpBackend -------------------------------------------------------------------------------------------

namespace {
// A listening socket on ip:0; `port` gets the port the kernel chose.
int listen_on(const std::string& ip, int backlog, uint16_t& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto a = addr_of(ip, 0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(fd, backlog);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}
}  // namespace

HttpBackend::HttpBackend(std::string name, std::string ip) : name_(std::move(name)), ip_(std::move(ip)) {
  listen_fd_ = listen_on(ip_, 128, port_);
  accept_thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      connections++;
      std::lock_guard lock(mu_);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  });
}

TcpEchoBackend::TcpEchoBackend(std::string ip) : ip_(std::move(ip)) {
  listen_fd_ = listen_on(ip_, 1024, port_);
  accept_thread_ = std::thread([this] {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      connections++;
      active_++;
      std::thread([this, fd] {
        serve(fd);
        active_--;
      }).detach();
    }
  });
}

TcpEchoBackend::~TcpEchoBackend() {
  stop_ = true;
  accept_thread_.join();
  ::close(listen_fd_);
  while (active_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void TcpEchoBackend::serve(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::vector<char> buf(64 * 1024);
  while (!stop_) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) {
      if (n == 0) ::shutdown(fd, SHUT_WR);
      break;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::send(fd, buf.data() + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
      if (w <= 0) {
        ::close(fd);
        return;
      }
      off += w;
    }
  }
  ::close(fd);
}

HttpBackend::~HttpBackend() {
  stop_ = true;
  accept_thread_.join();
  ::close(listen_fd_);
  std::lock_guard lock(mu_);
  for (auto& t : workers_) t.join();
}

void HttpBackend::serve(int fd) {
  std::string buf;
  while (!stop_) {
    auto end = fill_until(fd, buf, "\r\n\r\n", 200);
    if (end == std::string::npos) {
      // Idle keep-alive: keep waiting unless stopping or the client left.
      pollfd p{fd, POLLIN, 0};
      if (stop_) break;
      if (::poll(&p, 1, 0) > 0) {
        char c;
        if (::recv(fd, &c, 1, MSG_PEEK) <= 0) break;
      }
      continue;
    }
    Head head = parse_head(std::string_view(buf).substr(0, end));
    buf.erase(0, end);
    std::string body;
    if (!read_body(fd, buf, head, body, false, 5000)) break;
    auto sp1 = head.first_line.find(' ');
    auto sp2 = head.first_line.find(' ', sp1 + 1);
    std::string method = head.first_line.substr(0, sp1);
    std::string path = head.first_line.substr(sp1 + 1, sp2 - sp1 - 1);
    auto header = [&](const char* n) {
      auto it = head.headers.find(n);
      return it == head.headers.end() ? std::string("-") : it->second;
    };
    std::string seen = "X-Backend: " + name_ + "\r\nX-Seen-Host: " + header("host") + "\r\nX-Seen-Orig-Dest: " +
                       header("slime-orig-dest") + "\r\nX-Seen-Source-Ns: " + header("slime-source-ns") + "\r\n";
    if (path == "/reset") {
      linger l{1, 0};  // RST instead of FIN
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      break;
    }
    if (path == "/truncated") {
      send_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly-this");
      break;
    }
    if (path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::string out;
    if (path == "/stream") {
      out = "HTTP/1.1 200 OK\r\n" + seen + "Transfer-Encoding: chunked\r\n\r\n";
      for (int i = 0; i < 50; ++i) {
        std::string chunk = "chunk-" + std::to_string(i) + ";";
        char size[16];
        std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
        out += size + chunk + "\r\n";
      }
      out += "0\r\n\r\n";
    } else if (path == "/hop-fields" || path == "/upstream-closes") {
      // Fields that describe this backend's connection: the proxy must not pass them on. /upstream-closes
      // then closes the connection, as an HTTP/1.0-style server does after each response.
      bool closes = path == "/upstream-closes";
      std::string payload = "hop";
      out = "HTTP/1.1 200 OK\r\n" + seen + (closes ? "Connection: close\r\n" : "Connection: keep-alive, X-Upstream-Hop\r\n") +
            "Keep-Alive: timeout=5, max=100\r\nX-Upstream-Hop: secret\r\nProxy-Authenticate: Basic realm=\"up\"\r\n"
            "X-End-To-End: kept\r\nContent-Length: " + std::to_string(payload.size()) + "\r\n\r\n" + payload;
      if (closes) {
        send_all(fd, out);
        break;
      }
    } else if (path == "/headers") {
      // Every field the backend received, one "name: value" line each (names lower case, sorted).
      std::string payload;
      for (const auto& [n, v] : head.headers) payload += n + ": " + v + "\n";
      out = "HTTP/1.1 200 OK\r\n" + seen + "Content-Length: " + std::to_string(payload.size()) + "\r\n\r\n" + payload;
    } else {
      std::string payload = path == "/echo" ? body : "hello from " + name_;
      out = "HTTP/1.1 200 OK\r\n" + seen + "Content-Length: " + std::to_string(payload.size()) + "\r\n\r\n";
      if (method != "HEAD") out += payload;
    }
    send_all(fd, out);
    if (lower(header("connection")) == "close") break;
  }
  ::close(fd);
}

// --- GrpcEchoBackend ---------------------------------------------------------------------------------------

namespace {

class EchoService final : public slime::test::Echo::Service {
 public:
  explicit EchoService(std::string prefix) : prefix_(std::move(prefix)) {}

 private:
  std::string prefix_;
  grpc::Status Say(grpc::ServerContext*, const slime::test::Msg* in, slime::test::Msg* out) override {
    if (in->text() == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    out->set_text(prefix_ + in->text());
    return grpc::Status::OK;
  }
  grpc::Status Chat(grpc::ServerContext*, grpc::ServerReaderWriter<slime::test::Msg, slime::test::Msg>* stream) override {
    slime::test::Msg m;
    while (stream->Read(&m)) {
      m.set_text(prefix_ + m.text());
      stream->Write(m);
    }
    return grpc::Status::OK;
  }
};

}  // namespace

struct GrpcEchoBackend::Impl {
  explicit Impl(std::string prefix) : service(std::move(prefix)) {}
  EchoService service;
  std::unique_ptr<grpc::Server> server;
};

GrpcEchoBackend::GrpcEchoBackend(std::string ip, std::string prefix)
    : impl_(std::make_unique<Impl>(std::move(prefix))) {
  grpc::ServerBuilder b;
  int port = 0;
  b.AddListeningPort(ip + ":0", grpc::InsecureServerCredentials(), &port);
  b.RegisterService(&impl_->service);
  impl_->server = b.BuildAndStart();
  port_ = static_cast<uint16_t>(port);
}

GrpcEchoBackend::~GrpcEchoBackend() {
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
}

// --- HttpClient --------------------------------------------------------------------------------------------

HttpClient::HttpClient(uint16_t port, std::string source_ip, std::string server_ip) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  auto src = addr_of(source_ip, 0);
  auto dst = addr_of(server_ip, port);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

HttpClient::~HttpClient() { close(); }

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool HttpClient::send_raw(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

HttpResult HttpClient::read_response(int timeout_ms) {
  HttpResult r;
  if (fd_ < 0) return r;
  while (true) {
    auto end = fill_until(fd_, buf_, "\r\n\r\n", timeout_ms);
    if (end == std::string::npos) return r;
    Head head = parse_head(std::string_view(buf_).substr(0, end));
    buf_.erase(0, end);
    auto sp = head.first_line.find(' ');
    int status = sp == std::string::npos ? 0 : std::atoi(head.first_line.c_str() + sp + 1);
    if (status >= 100 && status < 200) continue;  // interim
    r.headers = head.headers;
    if (!read_body(fd_, buf_, head, r.body, true, timeout_ms)) return r;  // status stays 0: incomplete
    r.status = status;
    return r;
  }
}

bool HttpClient::closed_by_peer(int timeout_ms) {
  if (fd_ < 0) return true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char tmp[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return true;
  }
  return false;
}

namespace {

size_t collect_body(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t collect_header(char* data, size_t size, size_t n, void* out) {
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = std::string(value);
  }
  return size * n;
}

}  // namespace

HttpResult h2c_request(uint16_t port, const std::string& method, const std::string& authority,
                       const std::string& path, const std::vector<std::string>& headers, const std::string& body) {
  HttpResult r;
  CURL* curl = curl_easy_init();
  if (!curl) return r;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
  curl_slist* list = curl_slist_append(nullptr, ("Host: " + authority).c_str());
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  if (std::getenv("SLIME_TEST_CURL_VERBOSE")) curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &collect_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &collect_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
  if (curl_easy_perform(curl) == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    r.status = static_cast<int>(code);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return r;
}

std::string get(const std::string& host, const std::string& path, const std::vector<std::string>& extra) {
  std::string r = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n";
  for (const auto& h : extra) r += h + "\r\n";
  return r + "\r\n";
}

}  // namespace slime::testing

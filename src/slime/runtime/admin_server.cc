#include "slime/runtime/admin_server.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace slime::runtime {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') out += ' ';
    else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

AdminRequest to_admin_request(const http::request<http::string_body>& req) {
  AdminRequest areq;
  areq.method = std::string(req.method_string());
  std::string target(req.target());
  auto q = target.find('?');
  areq.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string_view qs(target);
    qs.remove_prefix(q + 1);
    while (!qs.empty()) {
      auto amp = qs.find('&');
      auto part = qs.substr(0, amp);
      auto eq = part.find('=');
      areq.query[url_decode(part.substr(0, eq))] = eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      qs.remove_prefix(amp + 1);
    }
  }
  areq.body = req.body();
  return areq;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

core::Result<std::pair<std::string, uint16_t>> parse_host_port(const std::string& addr, const std::string& flag) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return core::fail("expected HOST:PORT, got '" + addr + "'", flag);
  std::string host = addr.substr(0, colon);
  if (host.empty()) host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_s = addr.substr(colon + 1);
  if (port_s.empty() || port_s.size() > 5 || port_s.find_first_not_of("0123456789") != std::string::npos)
    return core::fail("expected a port number, got '" + port_s + "'", flag);
  int port = std::stoi(port_s);
  if (port > 65535) return core::fail("port out of range: " + port_s, flag);
  return std::make_pair(host, static_cast<uint16_t>(port));
}

bool is_loopback_addr(const std::string& addr) {
  auto hp = parse_host_port(addr);
  if (!hp) return false;
  if (hp->first == "localhost") return true;
  error_code ec;
  auto ip = asio::ip::make_address(hp->first, ec);
  return !ec && ip.is_loopback();
}

struct AdminServer::Impl {
  explicit Impl(AdminServer& s) : server(s) {}

  AdminServer& server;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::atomic<size_t> active{0};

  asio::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket sock = co_await acceptor.async_accept(asio::make_strand(io), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;
      }
      if (active.load() >= server.limits_.max_connections) {
        // Over the cap: close at once rather than queue (a queue would only delay every probe behind it).
        sock.close(ec);
        continue;
      }
      active.fetch_add(1);
      auto exec = sock.get_executor();
      asio::co_spawn(exec, serve(std::move(sock)), [this](std::exception_ptr) { active.fetch_sub(1); });
    }
  }

  // One request per connection (Connection: close): the deadline covers all of it, handler included.
  asio::awaitable<void> serve(tcp::socket sock) {
    const auto& limits = server.limits_;
    beast::tcp_stream s(std::move(sock));
    s.expires_after(limits.request_deadline);
    beast::flat_buffer buf;
    http::request_parser<http::string_body> parser;
    parser.header_limit(limits.max_header_bytes);
    parser.body_limit(limits.max_body_bytes);
    error_code ec;
    co_await http::async_read(s, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
    AdminResponse aresp;
    unsigned version = 11;
    std::string allow;
    if (ec == http::error::header_limit) {
      aresp = {431, "request header fields too large\n"};
    } else if (ec == http::error::body_limit) {
      aresp = {413, "request body larger than " + std::to_string(limits.max_body_bytes) + " bytes\n"};
    } else if (ec) {
      co_return;  // deadline passed, client gone, or not HTTP: nothing worth answering
    } else {
      const auto& req = parser.get();
      version = req.version();
      aresp = dispatch(to_admin_request(req), allow);
    }
    http::response<http::string_body> resp{static_cast<http::status>(aresp.status), version};
    resp.set(http::field::content_type, aresp.content_type);
    resp.set(http::field::connection, "close");
    if (!allow.empty()) resp.set(http::field::allow, allow);
    resp.body() = std::move(aresp.body);
    resp.prepare_payload();
    co_await http::async_write(s, resp, asio::redirect_error(asio::use_awaitable, ec));
    s.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  AdminResponse dispatch(const AdminRequest& req, std::string& allow) {
    auto it = server.routes_.find(req.path);
    if (it == server.routes_.end()) return {404, "not found\n"};
    const auto& methods = it->second.methods;
    if (!methods.empty() && std::ranges::find(methods, req.method) == methods.end()) {
      allow = join(methods);
      return {405, req.path + " accepts " + allow + ", not " + req.method + "\n"};
    }
    try {
      return it->second.handler(req);
    } catch (const std::exception& e) {  // a handler bug must not take the process down
      return {500, std::string("internal error: ") + e.what() + "\n"};
    }
  }
};

AdminServer::AdminServer(AdminLimits limits) : limits_(limits), impl_(std::make_unique<Impl>(*this)) {}
AdminServer::~AdminServer() { stop(); }

void AdminServer::route(const std::string& path, Handler h, std::vector<std::string> methods) {
  routes_[path] = Route{std::move(h), std::move(methods)};
}

core::Result<void> AdminServer::start(const std::string& addr, const std::string& flag) {
  auto hp = parse_host_port(addr, flag);
  if (!hp) return std::unexpected(hp.error());
  error_code ec;
  auto ip = asio::ip::make_address(hp->first == "localhost" ? "127.0.0.1" : hp->first, ec);
  if (ec) return core::fail("expected an IP address, got '" + hp->first + "'", flag);
  tcp::endpoint ep(ip, hp->second);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return core::fail("cannot listen on " + addr + ": " + ec.message(), flag);
  port_ = acc.local_endpoint().port();
  impl_->work.emplace(impl_->io.get_executor());
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  for (int i = 0; i < std::max(1, limits_.threads); ++i) threads_.emplace_back([this] { impl_->io.run(); });
  return {};
}

void AdminServer::stop() {
  if (threads_.empty()) return;
  asio::post(impl_->io, [this] {
    error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->work.reset();
  impl_->io.stop();  // open connections are abandoned: their coroutines are destroyed with the io_context
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace slime::runtime

#include "slime/runtime/admin_server.h"

#include <atomic>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace slime::runtime {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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

}  // namespace

core::Result<std::pair<std::string, uint16_t>> parse_host_port(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return core::fail("expected HOST:PORT, got '" + addr + "'", "--admin-addr");
  std::string host = addr.substr(0, colon);
  if (host.empty()) host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port_s = addr.substr(colon + 1);
  if (port_s.empty() || port_s.size() > 5 || port_s.find_first_not_of("0123456789") != std::string::npos)
    return core::fail("expected a port number, got '" + port_s + "'", "--admin-addr");
  int port = std::stoi(port_s);
  if (port > 65535) return core::fail("port out of range: " + port_s, "--admin-addr");
  return std::make_pair(host, static_cast<uint16_t>(port));
}

struct AdminServer::Impl {
  std::atomic<bool> stopping{false};
  asio::io_context io;
  tcp::acceptor acceptor{io};
};

AdminServer::AdminServer() : impl_(std::make_unique<Impl>()) {}
AdminServer::~AdminServer() { stop(); }

void AdminServer::route(const std::string& path, Handler h) { routes_[path] = std::move(h); }

core::Result<void> AdminServer::start(const std::string& addr) {
  auto hp = parse_host_port(addr);
  if (!hp) return std::unexpected(hp.error());
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(hp->first, ec);
  if (ec) return core::fail("expected an IP address, got '" + hp->first + "'", "--admin-addr");
  tcp::endpoint ep(ip, hp->second);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return core::fail("cannot listen on " + addr + ": " + ec.message(), "--admin-addr");
  port_ = acc.local_endpoint().port();

  thread_ = std::thread([this] {
    auto& acc = impl_->acceptor;
    for (;;) {
      boost::system::error_code ec;
      tcp::socket sock(impl_->io);
      acc.accept(sock, ec);
      if (ec) {
        if (impl_->stopping) return;
        continue;
      }
      // A stuck client must not wedge the endpoint Kubernetes probes.
      timeval tv{2, 0};
      setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      setsockopt(sock.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::request_parser<http::string_body> parser;
      parser.body_limit(1 << 20);
      http::read(sock, buf, parser, ec);
      if (ec) continue;
      req = parser.release();
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
      AdminResponse aresp;
      auto it = routes_.find(areq.path);
      if (it == routes_.end()) {
        aresp = {404, "not found\n"};
      } else {
        try {
          aresp = it->second(areq);
        } catch (const std::exception& e) {  // a handler bug must not take the process down
          aresp = {500, std::string("internal error: ") + e.what() + "\n"};
        }
      }
      http::response<http::string_body> resp{static_cast<http::status>(aresp.status), req.version()};
      resp.set(http::field::content_type, aresp.content_type);
      resp.set(http::field::connection, "close");
      resp.body() = std::move(aresp.body);
      resp.prepare_payload();
      http::write(sock, resp, ec);
      sock.shutdown(tcp::socket::shutdown_both, ec);
    }
  });
  return {};
}

void AdminServer::stop() {
  boost::system::error_code ec;
  impl_->stopping = true;
  if (impl_->acceptor.is_open()) {
    // shutdown() wakes the blocked accept(); close() alone does not on Linux.
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    impl_->acceptor.close(ec);
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace slime::runtime

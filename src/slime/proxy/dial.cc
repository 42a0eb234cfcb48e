#include "slime/proxy/dial.h"

#include <boost/asio/redirect_error.hpp>

namespace slime::proxy {

awaitable<error_code> dial(beast::tcp_stream& up, const Destination& d, std::chrono::milliseconds timeout) {
  auto tok = [](error_code& ec) { return asio::redirect_error(use_awaitable, ec); };
  error_code ec;
  if (timeout.count() > 0) up.expires_after(timeout);
  else up.expires_never();
  auto addr = asio::ip::make_address(d.dial_host, ec);
  if (!ec) {
    co_await up.async_connect(tcp::endpoint(addr, d.dial_port), tok(ec));
  } else {
    ec = {};
    tcp::resolver resolver(up.get_executor());
    auto results = co_await resolver.async_resolve(d.dial_host, std::to_string(d.dial_port), tok(ec));
    if (!ec) co_await up.async_connect(results, tok(ec));
  }
  if (!ec) up.socket().set_option(tcp::no_delay(true), ec);
  co_return ec;
}

std::pair<unsigned, std::string> upstream_failure(const Destination& d, const error_code& ec, std::string_view stage) {
  bool timeout = ec == beast::error::timeout;
  std::string what = "upstream " + d.dial_address() + " (" + d.host_header + ") " +
                     std::string(stage) + ": " + (timeout ? std::string("timed out") : ec.message());
  return {timeout ? 504u : 502u, std::move(what)};
}

std::string caller_address(const tcp::endpoint& peer, std::string_view xff, bool trust) {
  if (trust && !xff.empty()) {
    auto first = xff.substr(0, xff.find(','));
    while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
    while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
    if (!first.empty()) return std::string(first);
  }
  auto addr = peer.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) return addr.to_v6().to_v4().to_string();
  return addr.to_string();
}

}  // namespace slime::proxy

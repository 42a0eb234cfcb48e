#pragma once
// Opening an upstream connection, and saying in one line why it failed (the 502/504 body). Shared by the
// HTTP/1.1 session and the h2c relay.
#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include "slime/proxy/asio.h"
#include "slime/proxy/routing/destination.h"

namespace slime::proxy {

// Dials a destination: an IP directly, a name through DNS (only reachable without a mesh index). The
// stream's deadline is left at `timeout`. TCP_NODELAY is set on success.
awaitable<error_code> dial(beast::tcp_stream& up, const Destination& d, std::chrono::milliseconds timeout);

// 504 for a timeout, else 502; the text names the upstream, the Host it stands for, and the stage.
std::pair<unsigned, std::string> upstream_failure(const Destination& d, const error_code& ec, std::string_view stage);

// The caller's address for the access log: the first X-Forwarded-For hop when trusted, else the peer
// (an IPv4-mapped IPv6 peer as plain IPv4).
std::string caller_address(const tcp::endpoint& peer, std::string_view forwarded_for, bool trust_forwarded_for);

}  // namespace slime::proxy

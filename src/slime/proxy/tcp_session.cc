// A --tcp-listen connection: the PROXY protocol header names the caller and the address it dialled (Envoy's
// upstream_proxy_protocol socket writes it); the address must be a mesh Service port; then bytes are
// relayed both ways until both sides have finished, with half-close, back-pressure (each direction reads
// again only after its last write completed, through one fixed buffer) and an idle timeout over both.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <memory>
#include <chrono>
#include <string_view>

#include "slime/proxy/dial.h"
#include "slime/proxy/routing/proxy_protocol.h"
#include "slime/proxy/server.h"
#include "slime/proxy/session.h"

// GCC 12 reports Asio's coroutine-frame allocator (operator new/delete of awaitable_frame_base, a matched
// pair) as mismatched once the frames here are inlined; a known false positive of that compiler.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace slime::proxy {
namespace {

constexpr size_t kRelayBuffer = 32 * 1024;  // per direction

auto tok(error_code& ec) { return asio::redirect_error(use_awaitable, ec); }

// The relay's shared state: when either direction last moved a byte, and closing both sockets at once.
struct Relay {
  tcp::socket& down;
  tcp::socket& up;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  void touch() { last = std::chrono::steady_clock::now(); }
  void close_both() {
    error_code ignored;
    down.close(ignored);
    up.close(ignored);
  }
};

// One direction: read, write it all, read again. EOF half-closes the other side's sending direction; an
// error ends the whole connection (which also ends the opposite direction).
awaitable<void> relay_one_way(tcp::socket& from, tcp::socket& to, Relay& relay) {
  std::array<char, kRelayBuffer> buf;
  while (true) {
    error_code ec;
    size_t n = co_await from.async_read_some(asio::buffer(buf), tok(ec));
    if (ec) {
      error_code ignored;
      if (ec == asio::error::eof) to.shutdown(tcp::socket::shutdown_send, ignored);
      else relay.close_both();
      co_return;
    }
    relay.touch();
    co_await asio::async_write(to, asio::buffer(buf.data(), n), tok(ec));
    if (ec) {
      relay.close_both();
      co_return;
    }
    relay.touch();
  }
}

// Both directions plus a watchdog that closes the connection after `idle` without a byte either way
// (checked every tenth of it, at most every minute: the close comes between idle and 1.1 x idle). A
// session's io_context has one thread, so these coroutines never run concurrently.
awaitable<void> relay_both_ways(Relay& relay, std::chrono::milliseconds idle) {
  auto exec = co_await asio::this_coro::executor;
  asio::steady_timer done(exec, asio::steady_timer::time_point::max());
  int running = 2;
  auto finished = [&](std::exception_ptr) {
    if (--running == 0) done.cancel();
  };
  asio::co_spawn(exec, relay_one_way(relay.up, relay.down, relay), finished);
  asio::co_spawn(exec, relay_one_way(relay.down, relay.up, relay), finished);
  // The watchdog may resume after this frame is gone: its state is shared, and it touches `relay` only
  // while `stop` is false (both directions still running, so the frame is alive).
  struct Watch {
    explicit Watch(asio::any_io_executor e) : timer(std::move(e)) {}
    asio::steady_timer timer;
    bool stop = false;
  };
  auto watch = std::make_shared<Watch>(exec);
  const auto period = std::clamp<std::chrono::milliseconds>(idle / 10, std::chrono::milliseconds(10), std::chrono::minutes(1));
  asio::co_spawn(
      exec,
      [watch, period, idle, &relay]() -> awaitable<void> {
        while (true) {
          watch->timer.expires_after(period);
          error_code ec;
          co_await watch->timer.async_wait(tok(ec));
          if (watch->stop) co_return;
          if (std::chrono::steady_clock::now() - relay.last >= idle) relay.close_both();
        }
      },
      asio::detached);
  while (running > 0) {
    error_code ignored;
    done.expires_at(asio::steady_timer::time_point::max());
    co_await done.async_wait(tok(ignored));
  }
  watch->stop = true;
  watch->timer.cancel();
}

void refuse(SessionContext& ctx, const tcp::endpoint& peer, uint16_t port, std::string_view why) {
  ctx.stats.refused.fetch_add(1, std::memory_order_relaxed);
  ctx.stats.tcp_refused.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("proxy: tcp refused peer={} port={} reason={}", peer.address().to_string(), port, why);
}

bool is_self(const std::string& ip, uint16_t port, const DestinationRules& rules) {
  bool self_ip = ip == "0.0.0.0" || ip == "::" || ip == "::1" || ip.starts_with("127.") ||
                 std::ranges::find(rules.own_ips, ip) != rules.own_ips.end();
  return self_ip && std::ranges::find(rules.own_ports, port) != rules.own_ports.end();
}

}  // namespace

awaitable<void> serve_tcp_connection(tcp::socket socket, uint16_t listen_port, SessionContext& ctx) {
  ConnectionCount guard(ctx.stats, ctx.stats.tcp_connections);
  error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) co_return;
  try {
    // 1. The header, complete within the timeout and kMaxProxyHeaderBytes. Payload bytes read with it are
    //    kept and sent upstream first.
    beast::tcp_stream down(std::move(socket));
    std::array<char, kMaxProxyHeaderBytes> head;
    size_t have = 0;
    ProxyParse parsed;
    down.expires_after(ctx.opts.proxy_header_timeout);
    while (true) {
      size_t n = co_await down.async_read_some(asio::buffer(head.data() + have, head.size() - have), tok(ec));
      if (ec) {
        if (ec == beast::error::timeout) refuse(ctx, peer, listen_port, "PROXY header not received in time");
        else if (have > 0) refuse(ctx, peer, listen_port, "connection closed inside the PROXY header");
        co_return;
      }
      have += n;
      parsed = parse_proxy_header(std::string_view(head.data(), have));
      if (parsed.status != ProxyParseStatus::kNeedMore) break;
      if (have == head.size()) {  // the parser bounds every header below this; kept as a guard
        parsed = {ProxyParseStatus::kInvalid, {}, "PROXY header too large"};
        break;
      }
    }
    if (parsed.status == ProxyParseStatus::kInvalid) {
      refuse(ctx, peer, listen_port, parsed.error);
      co_return;
    }
    const ProxyHeader& h = parsed.header;

    // 2. The destination must be a mesh Service port (and not this proxy).
    RoutingState::Cached routing;
    const auto& view = routing.refresh(ctx.routing);
    if (!view.tcp) {
      refuse(ctx, peer, listen_port, "no service list: TCP connections are only relayed to known mesh services");
      co_return;
    }
    if (is_self(h.dest_ip, h.dest_port, *view.rules)) {
      refuse(ctx, peer, listen_port, "refusing to relay to this proxy itself (" + h.dest_ip + ")");
      co_return;
    }
    if (ctx.tcp_loops.contains(h.source_ip, h.source_port)) {
      refuse(ctx, peer, listen_port,
             "loop: the connection is this proxy's own relay to " + h.dest_ip + ":" + std::to_string(h.dest_port) +
                 " sent back by its Envoy (the destination is not in its configuration yet)");
      co_return;
    }
    const TcpRoute* route = view.tcp->find(h.dest_ip, h.dest_port);
    if (!route) {
      refuse(ctx, peer, listen_port,
             "destination " + h.dest_ip + ":" + std::to_string(h.dest_port) +
                 " is not a mesh service address on a declared TCP port");
      co_return;
    }

    // 3. Connect where the caller wanted to go (a cluster IP goes through the pod's own istio-proxy).
    Destination dest;
    dest.dial_host = h.dest_ip;
    dest.dial_port = h.dest_port;
    dest.host_header = route->authority();
    beast::tcp_stream up(co_await asio::this_coro::executor);
    if (auto dial_ec = co_await dial(up, dest, ctx.opts.connect_timeout)) {
      ctx.stats.upstream_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("proxy: tcp {}", upstream_failure(dest, dial_ec, "connect").second);
      co_return;  // closing the client is all PROXY-protocol callers can be told
    }
    up.expires_never();
    down.expires_never();
    auto local = up.socket().local_endpoint(ec);
    std::string local_ip = ec ? std::string() : local.address().to_string();
    uint16_t local_port = ec ? 0 : local.port();
    if (!local_ip.empty()) ctx.tcp_loops.add(local_ip, local_port);
    struct Unregister {
      TcpLoopGuard& g;
      const std::string& ip;
      uint16_t port;
      ~Unregister() {
        if (!ip.empty()) g.remove(ip, port);
      }
    } unregister{ctx.tcp_loops, local_ip, local_port};
    if (ctx.opts.on_call)
      ctx.opts.on_call(CallRecord{h.source_ip, h.source_port, listen_port, route->authority(), "", 0, false, true});

    // 4. Relay.
    tcp::socket down_socket = down.release_socket();
    tcp::socket up_socket = up.release_socket();
    if (have > h.length) {
      co_await asio::async_write(up_socket, asio::buffer(head.data() + h.length, have - h.length), tok(ec));
      if (ec) co_return;
    }
    Relay relay{down_socket, up_socket};
    co_await relay_both_ways(relay, ctx.opts.tcp_idle_timeout);
  } catch (const std::exception& e) {
    spdlog::warn("proxy: tcp connection error peer={} error={}", peer.address().to_string(), e.what());
  }
}

}  // namespace slime::proxy

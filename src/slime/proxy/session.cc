#include "slime/proxy/session.h"

#include <spdlog/spdlog.h>

#include <array>
#include <limits>
#include <optional>

#include "slime/proxy/dial.h"
#include "slime/proxy/h2_relay.h"
#include "slime/proxy/http_framers.h"
#include "slime/proxy/routing/destination.h"
#include "slime/proxy/routing/h2_sniff.h"
#include "slime/proxy/routing/response_head.h"
#include "slime/proxy/server.h"

namespace slime::proxy {
namespace {

constexpr size_t kChunk = 16 * 1024;
constexpr std::string_view kForwardedFor = "X-Forwarded-For";

auto tok(error_code& ec) { return asio::redirect_error(use_awaitable, ec); }

std::string_view view(const beast::flat_buffer& b) {
  auto d = b.data();
  return {static_cast<const char*>(d.data()), d.size()};
}

bool is_timeout(const error_code& ec) { return ec == beast::error::timeout; }

void set_deadline(beast::tcp_stream& s, std::chrono::milliseconds d) {
  if (d.count() > 0) s.expires_after(d);
  else s.expires_never();
}

// The plain-text error every refusal and upstream failure answers with: the status says what, the body why.
awaitable<bool> send_error(beast::tcp_stream& down, unsigned status, const std::string& why, unsigned version,
                           bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(status), version < 10 ? 11u : version};
  res.set(http::field::server, "slime-proxy");
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = "slime-proxy: " + why + "\n";
  res.keep_alive(keep_alive);
  res.prepare_payload();
  error_code ec;
  down.expires_after(std::chrono::seconds(10));
  co_await http::async_write(down, res, tok(ec));
  co_return !ec;
}

// Copies one direction of a relayed connection until EOF (then half-closes the other side) or an error
// (then closes both, which also ends the opposite direction).
awaitable<void> pump(beast::tcp_stream& from, beast::tcp_stream& to, std::chrono::milliseconds idle) {
  std::array<char, kChunk> buf;
  while (true) {
    error_code ec;
    set_deadline(from, idle);
    size_t n = co_await from.async_read_some(asio::buffer(buf), tok(ec));
    if (ec) {
      error_code ignored;
      if (ec == asio::error::eof) {
        to.socket().shutdown(tcp::socket::shutdown_send, ignored);
      } else {
        from.socket().close(ignored);
        to.socket().close(ignored);
      }
      co_return;
    }
    set_deadline(to, idle);
    co_await asio::async_write(to, asio::buffer(buf.data(), n), tok(ec));
    if (ec) {
      error_code ignored;
      from.socket().close(ignored);
      to.socket().close(ignored);
      co_return;
    }
  }
}

// Relays both directions until both have ended. A session's io_context has one thread, so the completion
// of the spawned direction and this coroutine never race.
awaitable<void> tunnel(beast::tcp_stream& down, beast::tcp_stream& up, std::chrono::milliseconds idle) {
  auto exec = co_await asio::this_coro::executor;
  asio::steady_timer done(exec, asio::steady_timer::time_point::max());
  bool other_done = false;
  asio::co_spawn(exec, pump(up, down, idle), [&](std::exception_ptr) {
    other_done = true;
    done.cancel();
  });
  co_await pump(down, up, idle);
  if (!other_done) {
    error_code ignored;
    co_await done.async_wait(tok(ignored));
  }
}

// --- HTTP/1.1 --------------------------------------------------------------------------------------------

// Reads from the client until the framer has the whole request head (the framer then holds views into
// `buf`; the head bytes stay there until the caller consumed them). Returns the head's size.
awaitable<error_code> read_request_head(beast::tcp_stream& down, beast::flat_buffer& buf, RequestFramer& f,
                                        size_t& head_len, std::chrono::milliseconds timeout) {
  error_code ec;
  while (true) {
    if (buf.size() > 0) {
      head_len = f.put_contiguous(buf.data(), ec);
      if (ec == http::error::need_more) ec = {};
      if (ec) co_return ec;
      if (f.is_header_done()) co_return error_code{};
    }
    set_deadline(down, timeout);
    size_t n = co_await down.async_read_some(buf.prepare(kChunk), tok(ec));
    if (ec) co_return ec;
    buf.commit(n);
  }
}

// Sends the rewritten head together with the body bytes already received (one gather write), then the
// rest of the body as it arrives, byte for byte (chunked framing included). Returns which side failed:
// 0 none, 1 the client (or its body broke the limits), 2 the upstream.
awaitable<int> relay_request(RequestFramer& f, beast::tcp_stream& down, beast::flat_buffer& buf, const std::string& head,
                             beast::tcp_stream& up, std::chrono::milliseconds idle) {
  error_code ec;
  size_t parsed = 0;
  if (!f.is_done() && buf.size() > 0) {
    f.eager(true);
    parsed = f.put_contiguous(buf.data(), ec);
    if (ec == http::error::need_more) ec = {};
    if (ec) co_return 1;
  }
  std::array<asio::const_buffer, 2> first{asio::buffer(head), asio::buffer(buf.data().data(), parsed)};
  set_deadline(up, idle);
  co_await asio::async_write(up, first, tok(ec));
  buf.consume(parsed);
  if (ec) co_return 2;
  bool stalled = false;  // the last put took nothing: the buffer ends inside a chunk header
  while (!f.is_done()) {
    if (buf.size() == 0 || stalled) {
      set_deadline(down, idle);
      size_t n = co_await down.async_read_some(buf.prepare(kChunk), tok(ec));
      if (ec) co_return 1;
      buf.commit(n);
    }
    f.eager(true);
    parsed = f.put_contiguous(buf.data(), ec);
    if (ec == http::error::need_more) ec = {};
    if (ec) co_return 1;
    stalled = parsed == 0;
    if (parsed == 0) continue;
    set_deadline(up, idle);
    co_await asio::async_write(up, asio::buffer(buf.data().data(), parsed), tok(ec));
    buf.consume(parsed);
    if (ec) co_return 2;
  }
  co_return 0;
}

// Reads from the upstream until the framer has the whole response head. `parsed` = the bytes of upbuf the
// framer took (the head, plus body bytes that came with it); they stay in upbuf to be forwarded as is.
awaitable<error_code> read_response_head(beast::tcp_stream& up, beast::flat_buffer& upbuf, ResponseFramer& f,
                                         size_t& parsed, std::chrono::milliseconds timeout) {
  error_code ec;
  while (true) {
    if (upbuf.size() > 0) {
      parsed = f.put(upbuf.data(), ec);
      if (ec == http::error::need_more) ec = {};
      if (ec) co_return ec;
      if (f.is_header_done()) co_return error_code{};
    }
    set_deadline(up, timeout);
    size_t n = co_await up.async_read_some(upbuf.prepare(kChunk), tok(ec));
    if (ec) co_return ec;
    upbuf.commit(n);
  }
}

// Forwards the response whose head read_response_head found: each read goes on in one write, byte for
// byte, until the framer says the message ended (or, close-delimited, the upstream closed). False when
// either side failed.
awaitable<bool> relay_response_rest(beast::tcp_stream& up, beast::flat_buffer& upbuf, ResponseFramer& f,
                                    size_t parsed, beast::tcp_stream& down, std::chrono::milliseconds idle) {
  error_code ec;
  while (true) {
    if (parsed > 0) {
      set_deadline(down, idle);
      co_await asio::async_write(down, asio::buffer(upbuf.data().data(), parsed), tok(ec));
      upbuf.consume(parsed);
      parsed = 0;
      if (ec) co_return false;
    }
    if (f.is_done()) co_return true;
    if (upbuf.size() == 0) {
      set_deadline(up, idle);
      size_t n = co_await up.async_read_some(upbuf.prepare(kChunk), tok(ec));
      if (ec == asio::error::eof && f.need_eof()) {
        f.put_eof(ec);
        co_return !ec;
      }
      if (ec) co_return false;
      upbuf.commit(n);
    }
    parsed = f.put(upbuf.data(), ec);
    if (ec == http::error::need_more) ec = {};
    if (ec) co_return false;
    if (parsed == 0 && !f.is_done()) {
      // A partial chunk header: wait for more bytes behind it (the buffer keeps what is there).
      set_deadline(up, idle);
      size_t n = co_await up.async_read_some(upbuf.prepare(kChunk), tok(ec));
      if (ec) co_return false;
      upbuf.commit(n);
    }
  }
}

// The upstream connection a session holds: kept while consecutive requests go to the same destination,
// given back to the shared pool when the destination changes or the session ends.
struct HeldUpstream {
  SessionContext& ctx;
  std::optional<beast::tcp_stream> stream;
  std::string key;
  bool reusable = false;  // the last response ended cleanly on a keep-alive connection

  explicit HeldUpstream(SessionContext& c) : ctx(c) {}
  ~HeldUpstream() { release(); }
  void release() {
    if (stream && reusable && !ctx.closing) {
      stream->expires_never();
      ctx.pool.give_back(key, stream->release_socket());
    }
    stream.reset();
    reusable = false;
  }
};

// Uses the held connection when it goes to `key` and is still open, else a pooled one (re-homed on this
// session's io_context), else dials. The held connection is checked with a peek only when the request has
// a body (`check_alive`): a body-less request that finds it closed is retried once anyway, so the common
// case saves a syscall.
awaitable<error_code> open_upstream(HeldUpstream& up, bool& reused, const std::string& key, const Destination& dest,
                                    SessionContext& ctx, bool check_alive) {
  auto exec = co_await asio::this_coro::executor;
  reused = false;
  if (up.stream && up.reusable && up.key == key && (!check_alive || idle_socket_usable(up.stream->socket()))) {
    up.reusable = false;
    reused = true;
    ctx.stats.pooled_reuses.fetch_add(1, std::memory_order_relaxed);
    co_return error_code{};
  }
  up.release();
  up.key = key;
  if (auto pooled = ctx.pool.take(key)) {
    error_code ec;
    auto protocol = pooled->local_endpoint(ec).protocol();
    if (!ec) {
      auto fd = pooled->release(ec);
      if (!ec) {
        up.stream.emplace(tcp::socket(exec, protocol, fd));
        reused = true;
        ctx.stats.pooled_reuses.fetch_add(1, std::memory_order_relaxed);
        co_return error_code{};
      }
    }
  }
  up.stream.emplace(exec);
  co_return co_await dial(*up.stream, dest, ctx.opts.connect_timeout);
}

awaitable<void> serve_http1(beast::tcp_stream& down, beast::flat_buffer& buf, uint16_t listen_port,
                            const tcp::endpoint& peer, SessionContext& ctx) {
  const auto& opts = ctx.opts;
  HeldUpstream held(ctx);
  auto& up = held.stream;
  RoutingState::Cached routing;
  beast::flat_buffer upbuf;
  std::vector<RequestFramer::Field> fields;
  std::string head;  // the rewritten request head, reused
  bool first_request = true;
  while (true) {
    RequestFramer p(opts.max_header_bytes, opts.max_body_bytes, fields);
    size_t head_len = 0;
    // The first head gets the header timeout; later ones may first idle on the keep-alive connection.
    error_code ec =
        co_await read_request_head(down, buf, p, head_len, first_request ? opts.header_timeout : opts.idle_timeout);
    if (ec) {
      if (ec == asio::error::eof && buf.size() == 0) co_return;
      if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
        co_return;
      if (is_timeout(ec)) {
        if (buf.size() > 0) co_await send_error(down, 408, "request head not received in time", 11, false);
        co_return;
      }
      ctx.stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
      if (ec == http::error::header_limit)
        co_await send_error(down, 431, "request header fields too large", 11, false);
      else if (ec == http::error::body_limit)
        co_await send_error(down, 413, "request body larger than " + std::to_string(opts.max_body_bytes) + " bytes", 11,
                            false);
      else
        co_await send_error(down, 400, "malformed request: " + ec.message(), 11, false);
      co_return;
    }
    first_request = false;
    ctx.stats.requests.fetch_add(1, std::memory_order_relaxed);
    const bool client_keep_alive = p.keep_alive();
    const unsigned version = p.version();
    const bool has_body = !p.is_done();
    // A refused request whose body was not read cannot be followed by another on this connection.
    const bool can_continue = client_keep_alive && !has_body;

    RequestFacts facts = request_facts(p, listen_port);
    const auto& r = routing.refresh(ctx.routing);
    auto resolved =
        resolve_destination(facts, *r.rules, r.mesh.get(), ctx.pick.fetch_add(1, std::memory_order_relaxed));
    if (!resolved.dest) {
      ctx.stats.refused.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("proxy: refused peer={} host={} target={} status={} reason={}", peer.address().to_string(),
                   facts.host, facts.target, resolved.refusal.status, resolved.refusal.reason);
      buf.consume(head_len);
      if (!co_await send_error(down, static_cast<unsigned>(resolved.refusal.status), resolved.refusal.reason, version,
                               can_continue) ||
          !can_continue)
        co_return;
      continue;
    }
    const Destination dest = std::move(*resolved.dest);
    // Only for the report: the request-target before an absolute-form target is rewritten, and the caller.
    std::string path, source_ip;
    if (opts.on_call) {
      path = std::string(p.target());
      auto* xff = p.find(kForwardedFor);
      source_ip = caller_address(peer, xff ? xff->value : std::string_view(), opts.trust_forwarded_for);
    }
    const auto* expect = p.find(http::field::expect);
    const bool expect_continue = expect && iequals_ascii(expect->value, "100-continue");
    build_request_head(head, p, dest);
    buf.consume(head_len);  // the views into buf end here
    if (expect_continue) {
      // Answer the client ourselves: the upstream would answer through us anyway, and this keeps the
      // relay free of interim responses on the request side.
      error_code ignored;
      set_deadline(down, opts.body_idle_timeout);
      co_await asio::async_write(down, asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")), tok(ignored));
    }

    const std::string key = dest.dial_address();
    const size_t response_header_limit = std::max<size_t>(opts.max_header_bytes, 256 * 1024);
    const bool head_request = p.method() == http::verb::head;
    std::optional<ResponseFramer> framer;
    size_t parsed = 0;  // bytes at the front of upbuf that the framer has taken (head, then body)
    error_code up_ec;
    std::string_view stage;
    bool client_failed = false;
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      upbuf.consume(upbuf.size());
      up_ec = co_await open_upstream(held, reused, key, dest, ctx, has_body);
      if (up_ec) {
        stage = "connect";
        break;
      }
      int failed = co_await relay_request(p, down, buf, head, *up, opts.body_idle_timeout);
      if (failed == 1) {
        client_failed = true;
        break;
      }
      if (failed == 2) {
        up_ec = asio::error::connection_reset;
        stage = "write";
      } else {
        // Interim 1xx responses (other than 101) are passed on as they came; the final response follows.
        while (true) {
          framer.emplace(response_header_limit, head_request);
          parsed = 0;
          up_ec = co_await read_response_head(*up, upbuf, *framer, parsed, opts.response_timeout);
          if (up_ec) break;
          unsigned code = framer->status();
          if (code < 100 || code >= 200 || code == 101) break;
          error_code wec;
          set_deadline(down, opts.body_idle_timeout);
          co_await asio::async_write(down, asio::buffer(upbuf.data().data(), parsed), tok(wec));
          upbuf.consume(parsed);
          if (wec) {
            client_failed = true;
            break;
          }
        }
        if (client_failed) break;
        if (up_ec) stage = "response";
      }
      // A pooled connection the upstream had closed meanwhile: retry once on a fresh one when nothing of
      // the request body had to be sent (it could not be replayed).
      if (up_ec && reused && !has_body && attempt == 0 && !is_timeout(up_ec)) continue;
      break;
    }
    if (client_failed) co_return;
    if (up_ec) {
      ctx.stats.upstream_errors.fetch_add(1, std::memory_order_relaxed);
      auto [status, why] = upstream_failure(dest, up_ec, stage);
      spdlog::info("proxy: {}", why);
      bool keep = client_keep_alive && p.is_done();
      held.release();
      if (!co_await send_error(down, status, why, version, keep) || !keep) co_return;
      continue;
    }

    if (opts.on_call)
      opts.on_call(CallRecord{source_ip, peer.port(), listen_port, dest.host_header, path, framer->status(), false});
    if (framer->status() == 101) {
      // Protocol upgrade (WebSocket and the like): pass the head (and whatever followed it) on, then relay
      // bytes both ways.
      error_code wec;
      co_await asio::async_write(down, upbuf.data(), tok(wec));
      if (!wec && buf.size()) co_await asio::async_write(*up, buf.data(), tok(wec));
      if (wec) co_return;
      co_await tunnel(down, *up, opts.tunnel_idle_timeout);
      co_return;
    }
    // The two connections are separate hops: the upstream's Connection/Keep-Alive fields stop here, and
    // the client's connection closes only when the client asked or the body ends with the connection.
    const bool close_client = !client_keep_alive || framer->need_eof();
    const auto client_conn = close_client    ? ClientConnection::kClose
                             : version == 10 ? ClientConnection::kKeepHttp10
                                             : ClientConnection::kKeep;
    if (size_t head_len = response_head_length(view(upbuf).substr(0, parsed)); head_len > 0) {
      std::string rewritten;
      if (rewrite_response_head(view(upbuf).substr(0, head_len), client_conn, rewritten)) {
        error_code wec;
        set_deadline(down, opts.body_idle_timeout);
        co_await asio::async_write(down, asio::buffer(rewritten), tok(wec));
        if (wec) co_return;
        upbuf.consume(head_len);
        parsed -= head_len;
      }
    }
    if (!co_await relay_response_rest(*up, upbuf, *framer, parsed, down, opts.body_idle_timeout))
      co_return;  // either side went away mid-body: the client sees a truncated response
    held.reusable = framer->keep_alive() && !framer->need_eof() && upbuf.size() == 0;
    if (!held.reusable) held.release();
    if (close_client) {
      error_code ignored;
      down.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

}  // namespace

awaitable<void> serve_proxy_connection(tcp::socket socket, uint16_t listen_port, SessionContext& ctx) {
  ConnectionCount guard(ctx.stats, ctx.stats.connections);
  error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) co_return;
  socket.set_option(tcp::no_delay(true), ec);
  beast::tcp_stream down(std::move(socket));
  beast::flat_buffer buf;
  try {
    set_deadline(down, ctx.opts.header_timeout);
    while (match_h2_preface(view(buf)) == PrefaceMatch::kNeedMore) {
      size_t n = co_await down.async_read_some(buf.prepare(kChunk), tok(ec));
      if (ec) co_return;
      buf.commit(n);
    }
    if (match_h2_preface(view(buf)) == PrefaceMatch::kHttp2) {
      down.expires_never();
      co_await relay_h2(down.release_socket(), std::string(view(buf)), listen_port, ctx);
    } else {
      co_await serve_http1(down, buf, listen_port, peer, ctx);
    }
  } catch (const std::exception& e) {
    // Nothing above throws by design (errors are codes); this keeps one connection's surprise local.
    spdlog::warn("proxy: connection error peer={} error={}", peer.address().to_string(), e.what());
  }
}

awaitable<void> serve_probe_connection(tcp::socket socket) {
  beast::tcp_stream s(std::move(socket));
  beast::flat_buffer buf;
  while (true) {
    http::request_parser<http::empty_body> p;
    p.header_limit(16 * 1024);
    error_code ec;
    s.expires_after(std::chrono::seconds(30));
    co_await http::async_read(s, buf, p, tok(ec));
    if (ec) co_return;
    // 200 with an empty body on every path, as the original's probe server (/healthz/live and /ready).
    http::response<http::empty_body> res{http::status::ok, p.get().version()};
    res.keep_alive(p.get().keep_alive());
    res.content_length(0);
    co_await http::async_write(s, res, tok(ec));
    if (ec || !res.keep_alive()) co_return;
  }
}

}  // namespace slime::proxy

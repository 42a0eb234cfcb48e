#include <spdlog/spdlog.h>

#include "slime/proxy/dial.h"
#include "slime/proxy/h2_relay_impl.h"
#include "slime/proxy/routing/h2_reply.h"
#include "slime/proxy/server.h"

namespace slime::proxy::h2 {

// --- downstream: requests ------------------------------------------------------------------------------

void Relay::on_request(Stream& s, bool end_stream) {
  ctx_.stats.requests.fetch_add(1, std::memory_order_relaxed);
  s.request.eof = end_stream;
  if (s.head.too_large()) {
    ctx_.stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
    answer_error(s, 431, "request header fields too large");
    return;
  }
  const auto& view = routing_.refresh(ctx_.routing);
  auto resolved = resolve_destination(s.head.facts(listen_port_), *view.rules, view.mesh.get(),
                                      ctx_.pick.fetch_add(1, std::memory_order_relaxed));
  if (!resolved.dest) {
    ctx_.stats.refused.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("proxy: refused h2c stream peer={} authority={} status={} reason={}", peer_.address().to_string(),
                 s.head.authority(), resolved.refusal.status, resolved.refusal.reason);
    answer_error(s, static_cast<unsigned>(resolved.refusal.status), resolved.refusal.reason);
    return;
  }
  s.dest = std::move(resolved.dest);
  s.caller = caller_address(peer_, s.head.forwarded_for(), ctx_.opts.trust_forwarded_for);
  s.forwarding = true;
  arm_response_timeout(s);
  auto up = upstream_for(*s.dest);
  s.up = up;
  if (!up->session) {
    s.waiting = true;
    up->waiting.push_back(&s);
    return;
  }
  submit_upstream(s);
}

void Relay::on_request_data(Stream& s, const uint8_t* data, size_t n) {
  s.body_bytes += n;
  if (s.body_bytes > ctx_.opts.max_body_bytes) {
    ctx_.stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
    nghttp2_session_consume(down_->session, s.down_id, n);
    stop_forwarding(s);
    answer_error(s, 413, "request body larger than " + std::to_string(ctx_.opts.max_body_bytes) + " bytes");
    return;
  }
  s.request.append(data, n);
  if (!s.up_closed) nghttp2_session_resume_data(s.up->session, s.up_id);
}

void Relay::on_request_end(Stream& s) {
  s.request.eof = true;
  if (!s.up_closed) nghttp2_session_resume_data(s.up->session, s.up_id);
}

void Relay::on_down_closed(Stream& s) {
  s.down_closed = true;
  // What the client will never read still counts against the upstream's connection window.
  if (s.up && s.up->session && !s.up->dead) nghttp2_session_consume_connection(s.up->session, s.response.drop());
  stop_forwarding(s);
  maybe_reap(s);
}

// The request goes no further: unqueue it from a connecting upstream, cancel its upstream stream, and
// acknowledge what it had buffered (and, through data_chunk, whatever still arrives).
void Relay::stop_forwarding(Stream& s) {
  if (s.forwarding) nghttp2_session_consume(down_->session, s.down_id, s.request.drop());
  s.forwarding = false;
  if (s.waiting) {
    std::erase(s.up->waiting, &s);
    s.waiting = false;
  }
  reset_up(s, NGHTTP2_CANCEL);
}

// --- upstream connections ------------------------------------------------------------------------------

std::shared_ptr<Conn> Relay::upstream_for(const Destination& d) {
  std::string key = d.dial_address();
  if (auto it = by_key_.find(key); it != by_key_.end() && !it->second->dead && !it->second->draining)
    return it->second;
  auto c = std::make_shared<Conn>(tcp::socket(down_->sock.get_executor()), false);
  c->key = key;
  c->dest = d;
  by_key_[key] = c;
  upstreams_.push_back(c);
  asio::co_spawn(
      down_->sock.get_executor(),
      [self = shared_from_this(), c]() -> awaitable<void> {
        beast::tcp_stream stream(std::move(c->sock));
        c->dialing = &stream;
        auto ec = co_await dial(stream, c->dest, self->ctx_.opts.connect_timeout);
        c->dialing = nullptr;
        stream.expires_never();
        c->sock = stream.release_socket();
        self->connected(c, ec);
      },
      asio::detached);
  return c;
}

void Relay::connected(const std::shared_ptr<Conn>& c, error_code ec) {
  if (finished_ || c->dead) return;
  if (ec) {
    ctx_.stats.upstream_errors.fetch_add(1, std::memory_order_relaxed);
    auto [status, why] = upstream_failure(c->dest, ec, "connect");
    spdlog::info("proxy: h2c {}", why);
    c->dead = true;
    if (auto it = by_key_.find(c->key); it != by_key_.end() && it->second == c) by_key_.erase(it);
    auto waiting = std::move(c->waiting);
    for (Stream* s : waiting) {
      s->waiting = false;
      s->forwarding = false;
      nghttp2_session_consume(down_->session, s->down_id, s->request.drop());
      answer_error(*s, status, why);
      maybe_reap(*s);
    }
    flush();
    return;
  }
  c->session = new_session(*c);
  if (!c->session) {
    upstream_failed(c, "could not start an HTTP/2 session");
    flush();
    return;
  }
  auto waiting = std::move(c->waiting);
  for (Stream* s : waiting) {
    s->waiting = false;
    if (!s->down_closed) submit_upstream(*s);
    maybe_reap(*s);
  }
  if (c->streams.empty()) note_idle(*c);
  start_reading(c);
  flush();
}

void Relay::submit_upstream(Stream& s) {
  auto& up = *s.up;
  auto headers = s.head.upstream_headers(*s.dest);
  auto nva = to_nv(headers);
  nghttp2_data_provider body{};
  body.source.ptr = &s;
  body.read_callback = &Relay::read_request_body;
  const bool bodiless = s.request.eof && s.request.size() == 0 && s.request.trailers.empty();
  int32_t id = nghttp2_submit_request(up.session, nullptr, nva.data(), nva.size(), bodiless ? nullptr : &body, &s);
  if (id < 0) {
    ctx_.stats.upstream_errors.fetch_add(1, std::memory_order_relaxed);
    s.forwarding = false;
    answer_error(s, 502, "could not open a stream to upstream " + up.key + ": " + nghttp2_strerror(id));
    return;
  }
  s.up_id = id;
  s.up_closed = false;
  up.streams.insert(&s);
}

void Relay::on_response_head(Conn& c, Stream& s, bool end_stream) {
  auto fields = std::move(s.response_fields);
  s.response_fields.clear();
  s.response_field_bytes = 0;
  if (s.down_closed || s.own_answer) return;
  std::string_view status;
  for (const auto& [n, v] : fields)
    if (n == ":status") status = v;
  if (status.empty()) {  // trailers
    s.response.trailers = std::move(fields);
    s.response.eof = true;
    nghttp2_session_resume_data(down_->session, s.down_id);
    return;
  }
  if (status.size() == 3 && status[0] == '1') return;  // interim responses are not passed on
  if (s.response_started) return;
  s.response.eof = end_stream;
  s.response_timer.reset();
  submit_response(s, fields, !end_stream);
  if (ctx_.opts.on_call) {
    unsigned code = 0;
    for (char ch : status) code = code * 10 + static_cast<unsigned>(ch - '0');
    ctx_.opts.on_call(CallRecord{s.caller, peer_.port(), listen_port_, s.dest->host_header,
                                 std::string(s.head.path()), code, true});
  }
  (void)c;
}

void Relay::on_response_data(Conn& c, Stream& s, const uint8_t* data, size_t n) {
  // DATA before HEADERS cannot pass nghttp2's checks; DATA after the proxy's own answer (a timeout, a
  // body over the limit) arrives until the upstream sees the reset. Neither goes to the client.
  if (!s.response_started || s.own_answer) {
    nghttp2_session_consume(c.session, s.up_id, n);
    return;
  }
  s.response.append(data, n);
  nghttp2_session_resume_data(down_->session, s.down_id);
}

void Relay::on_up_closed(Conn& c, Stream& s, uint32_t error_code) {
  s.up_closed = true;
  c.streams.erase(&s);
  if (c.streams.empty()) note_idle(c);
  if (!s.down_closed) {
    if (!s.response_started) {
      if (error_code == NGHTTP2_REFUSED_STREAM) {
        reset_down(s, NGHTTP2_REFUSED_STREAM);  // never processed: the client may retry it
      } else {
        ctx_.stats.upstream_errors.fetch_add(1, std::memory_order_relaxed);
        answer_error(s, 502,
                     "upstream " + c.key + " (" + s.dest->host_header + ") reset the stream: " +
                         nghttp2_http2_strerror(error_code));
      }
    } else if (!s.response.eof) {
      reset_down(s, error_code == NGHTTP2_NO_ERROR ? uint32_t{NGHTTP2_INTERNAL_ERROR} : error_code);
    }
  }
  if (s.forwarding) {  // the request body has nowhere to go any more
    s.forwarding = false;
    nghttp2_session_consume(down_->session, s.down_id, s.request.drop());
  }
  maybe_reap(s);
}

void Relay::upstream_failed(const std::shared_ptr<Conn>& c, const std::string& why) {
  if (c->dead) return;
  c->dead = true;
  error_code ignored;
  c->sock.close(ignored);
  if (c->dialing) c->dialing->socket().close(ignored);
  if (auto it = by_key_.find(c->key); it != by_key_.end() && it->second == c) by_key_.erase(it);
  auto streams = std::move(c->streams);
  c->streams.clear();
  for (Stream* s : streams) {
    s->up_closed = true;
    if (!s->down_closed && !s->response_started) ctx_.stats.upstream_errors.fetch_add(1, std::memory_order_relaxed);
    if (!s->down_closed && (!s->response_started || !s->response.eof)) {
      answer_error(*s, 502, "upstream " + c->key + " (" + s->dest->host_header + ") " + why);
    }
    if (s->forwarding) {
      s->forwarding = false;
      nghttp2_session_consume(down_->session, s->down_id, s->request.drop());
    }
    maybe_reap(*s);
  }
  auto waiting = std::move(c->waiting);
  for (Stream* s : waiting) {
    s->waiting = false;
    s->forwarding = false;
    answer_error(*s, 502, "upstream " + c->key + " " + why);
    maybe_reap(*s);
  }
}

// --- answers -------------------------------------------------------------------------------------------

void Relay::answer_error(Stream& s, unsigned status, const std::string& why) {
  if (s.down_closed) return;
  if (s.response_started) {
    reset_down(s, NGHTTP2_INTERNAL_ERROR);
    return;
  }
  auto reply = h2_error_reply(status, why, s.head.grpc());
  s.own_answer = true;
  s.response.drop();
  s.response.bytes = std::move(reply.body);
  s.response.eof = true;
  submit_response(s, reply.headers, s.response.size() > 0);
}

void Relay::submit_response(Stream& s, const std::vector<H2Header>& headers, bool with_body) {
  auto nva = to_nv(headers);
  nghttp2_data_provider body{};
  body.source.ptr = &s;
  body.read_callback = &Relay::read_response_body;
  s.response_started = true;
  if (nghttp2_submit_response(down_->session, s.down_id, nva.data(), nva.size(), with_body ? &body : nullptr) != 0)
    reset_down(s, NGHTTP2_INTERNAL_ERROR);
  schedule_flush();
}

void Relay::reset_down(Stream& s, uint32_t code) {
  if (s.down_closed) return;
  nghttp2_submit_rst_stream(down_->session, NGHTTP2_FLAG_NONE, s.down_id, code);
  schedule_flush();
}

void Relay::reset_up(Stream& s, uint32_t code) {
  if (s.up_closed || !s.up || s.up->dead) return;
  nghttp2_submit_rst_stream(s.up->session, NGHTTP2_FLAG_NONE, s.up_id, code);
  schedule_flush();
}

void Relay::maybe_reap(Stream& s) {
  if (s.down_closed && s.up_closed && !s.waiting) reap_.push_back(s.down_id);
}

// --- bodies: one session takes what the other received, and only then is it acknowledged ----------------

namespace {

// Fills a DATA frame of `stream_id` from `pipe`. Once the pipe is drained and ended: EOF, with the
// trailers (if any) submitted to follow as a HEADERS frame. NGHTTP2_ERR_DEFERRED while it waits for bytes.
ssize_t drain(Pipe& pipe, nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t len, uint32_t* flags) {
  if (size_t n = pipe.take(buf, len); n > 0) return static_cast<ssize_t>(n);
  if (!pipe.eof) return NGHTTP2_ERR_DEFERRED;
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (!pipe.trailers.empty()) {
    auto nva = to_nv(pipe.trailers);
    if (nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size()) == 0) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  }
  return 0;
}

}  // namespace

ssize_t Relay::read_response_body(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t len,
                                  uint32_t* flags, nghttp2_data_source* src, void* user_data) {
  auto& s = *static_cast<Stream*>(src->ptr);
  auto n = drain(s.response, session, stream_id, buf, len, flags);
  if (n > 0 && s.up && s.up->session && !s.up->dead) {
    nghttp2_session_consume(s.up->session, s.up_id, static_cast<size_t>(n));
    of(user_data).schedule_flush();  // the WINDOW_UPDATE goes out on the upstream connection
  }
  return n;
}

ssize_t Relay::read_request_body(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t len,
                                 uint32_t* flags, nghttp2_data_source* src, void* user_data) {
  auto& r = of(user_data);
  auto& s = *static_cast<Stream*>(src->ptr);
  auto n = drain(s.request, session, stream_id, buf, len, flags);
  if (n > 0 && !s.down_closed) {
    nghttp2_session_consume(r.down_->session, s.down_id, static_cast<size_t>(n));
    r.schedule_flush();  // the WINDOW_UPDATE goes out on the client connection
  }
  return n;
}

}  // namespace slime::proxy::h2

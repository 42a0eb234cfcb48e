#include "slime/proxy/h2_relay.h"

#include <spdlog/spdlog.h>

#include "slime/proxy/dial.h"
#include "slime/proxy/h2_relay_impl.h"
#include "slime/proxy/server.h"

namespace slime::proxy {
namespace h2 {


// --- sessions and I/O ---------------------------------------------------------------------------------

struct Relay::Callbacks {
  static Stream* down_stream(nghttp2_session* session, int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }

  static int begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    auto& conn = *static_cast<Conn*>(user_data);
    if (!conn.downstream || frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
      return 0;
    auto& r = *conn.relay;
    auto s = std::make_unique<Stream>(frame->hd.stream_id, r.ctx_.opts.max_header_bytes);
    nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, s.get());
    r.streams_[frame->hd.stream_id] = std::move(s);
    return 0;
  }

  static int header(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                    const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
    auto& conn = *static_cast<Conn*>(user_data);
    auto* s = down_stream(session, frame->hd.stream_id);
    if (!s) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen), v(reinterpret_cast<const char*>(value), valuelen);
    if (conn.downstream) {
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) s->head.add(n, v);
      else if (s->trailer_fields.size() < 64) s->trailer_fields.emplace_back(n, v);
      return 0;
    }
    s->response_field_bytes += namelen + valuelen + 32;
    if (s->response_field_bytes > kResponseHeaderLimit) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    s->response_fields.emplace_back(n, v);
    return 0;
  }

  static int frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    auto& conn = *static_cast<Conn*>(user_data);
    auto& r = *conn.relay;
    const bool end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
    if (frame->hd.type == NGHTTP2_GOAWAY && !conn.downstream) {
      // No new streams on it; the ones below last-stream-id finish (nghttp2 closes the others).
      conn.draining = true;
      if (auto it = r.by_key_.find(conn.key); it != r.by_key_.end() && it->second.get() == &conn)
        r.by_key_.erase(it);
      return 0;
    }
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto* s = down_stream(session, frame->hd.stream_id);
    if (!s) return 0;
    if (conn.downstream) {
      if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        r.on_request(*s, end_stream);
      } else if (end_stream) {
        if (frame->hd.type == NGHTTP2_HEADERS) s->request.trailers = std::move(s->trailer_fields);
        r.on_request_end(*s);
      }
      return 0;
    }
    if (frame->hd.type == NGHTTP2_HEADERS) {
      r.on_response_head(conn, *s, end_stream);
    } else if (end_stream) {
      s->response.eof = true;
      if (!s->down_closed) nghttp2_session_resume_data(r.down_->session, s->down_id);
    }
    return 0;
  }

  // A response that ended before its request did: ask the client to stop sending (RFC 7540 §8.1, NO_ERROR,
  // the response stands) now that the whole response is out, instead of reading an upload nobody wants.
  static int frame_send(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    auto& conn = *static_cast<Conn*>(user_data);
    if (!conn.downstream || !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) return 0;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto* s = down_stream(session, frame->hd.stream_id);
    if (s && !s->request.eof) nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->down_id, NGHTTP2_NO_ERROR);
    return 0;
  }

  static int data_chunk(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data, size_t len,
                        void* user_data) {
    auto& conn = *static_cast<Conn*>(user_data);
    auto* s = down_stream(session, id);
    if (conn.downstream) {
      if (s && s->forwarding) conn.relay->on_request_data(*s, data, len);
      else nghttp2_session_consume(session, id, len);  // nobody takes these bytes: open the window at once
      return 0;
    }
    if (s && !s->down_closed) conn.relay->on_response_data(conn, *s, data, len);
    else nghttp2_session_consume(session, id, len);
    return 0;
  }

  static int stream_close(nghttp2_session* session, int32_t id, uint32_t error_code, void* user_data) {
    auto& conn = *static_cast<Conn*>(user_data);
    auto* s = down_stream(session, id);
    if (!s) return 0;
    if (conn.downstream) conn.relay->on_down_closed(*s);
    else conn.relay->on_up_closed(conn, *s, error_code);
    return 0;
  }
};

nghttp2_session* Relay::new_session(Conn& c) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &Callbacks::begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Callbacks::frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::data_chunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, &Callbacks::frame_send);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, 1);
  c.relay = this;
  nghttp2_session* session = nullptr;
  int rv = c.downstream ? nghttp2_session_server_new2(&session, cbs, &c, opt)
                        : nghttp2_session_client_new2(&session, cbs, &c, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return nullptr;
  std::vector<nghttp2_settings_entry> settings = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kStreamWindow}};
  if (c.downstream) {
    settings.push_back({NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams});
    settings.push_back({NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(ctx_.opts.max_header_bytes)});
  } else {
    settings.push_back({NGHTTP2_SETTINGS_ENABLE_PUSH, 0});
  }
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  return session;
}

void Relay::start_reading(const std::shared_ptr<Conn>& c) {
  c->sock.async_read_some(asio::buffer(c->in), [self = shared_from_this(), c](error_code ec, size_t n) {
    if (self->finished_ || c->dead) return;
    if (ec) {
      if (c->downstream) self->finish(ec == asio::error::eof ? std::string_view() : ec.message());
      else self->upstream_failed(c, ec == asio::error::eof ? "closed the connection" : ec.message());
      self->flush();
      return;
    }
    self->last_activity_ = Clock::now();
    self->receive(c, c->in.data(), n);
    self->flush();
    if (!c->dead && !self->finished_) self->start_reading(c);
  });
}

void Relay::receive(const std::shared_ptr<Conn>& c, const uint8_t* data, size_t n) {
  auto rv = nghttp2_session_mem_recv(c->session, data, n);
  if (rv >= 0) return;
  if (!c->downstream) {
    upstream_failed(c, std::string("spoke invalid HTTP/2: ") + nghttp2_strerror(static_cast<int>(rv)));
    return;
  }
  ctx_.stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
  spdlog::debug("proxy: h2c protocol error peer={} error={}", peer_.address().to_string(),
                nghttp2_strerror(static_cast<int>(rv)));
  // GOAWAY goes out (nghttp2 queued it); the relay ends once it is written.
  nghttp2_session_terminate_session(c->session, NGHTTP2_PROTOCOL_ERROR);
}

void Relay::schedule_flush() {
  if (flush_posted_ || finished_) return;
  flush_posted_ = true;
  asio::post(down_->sock.get_executor(), [self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

// Writes what every session has to send, ends finished streams and connections, and ends the relay when
// the client's session is done.
void Relay::flush() {
  if (finished_) return;
  send(down_);
  for (size_t i = 0; i < upstreams_.size(); ++i) send(upstreams_[i]);
  for (int32_t id : reap_) {
    auto it = streams_.find(id);
    if (it != streams_.end() && it->second->down_closed && it->second->up_closed && !it->second->waiting)
      streams_.erase(it);
  }
  if (!reap_.empty() && streams_.empty()) arm_idle();  // the shorter no-stream limit applies from now
  reap_.clear();
  std::erase_if(upstreams_, [](const auto& c) { return c->dead; });
  if (!finished_ && !down_->writing && !nghttp2_session_want_read(down_->session) &&
      !nghttp2_session_want_write(down_->session))
    finish({});
}

void Relay::send(const std::shared_ptr<Conn>& c) {
  if (c->dead || c->writing || !c->session || finished_) return;
  c->out.clear();
  while (c->out.size() < kWriteBatch) {
    const uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(c->session, &data);
    if (n < 0) {
      if (c->downstream) finish(nghttp2_strerror(static_cast<int>(n)));
      else upstream_failed(c, nghttp2_strerror(static_cast<int>(n)));
      return;
    }
    if (n == 0) break;
    c->out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  if (c->out.empty()) {
    if (!c->downstream && !nghttp2_session_want_read(c->session) && !nghttp2_session_want_write(c->session))
      upstream_failed(c, "closed");
    return;
  }
  c->writing = true;
  asio::async_write(c->sock, asio::buffer(c->out), [self = shared_from_this(), c](error_code ec, size_t) {
    c->writing = false;
    if (self->finished_ || c->dead) return;
    if (ec) {
      if (c->downstream) self->finish(ec.message());
      else self->upstream_failed(c, "write: " + ec.message());
    }
    self->flush();
  });
}

void Relay::finish(std::string_view why) {
  if (finished_) return;
  finished_ = true;
  if (!why.empty()) spdlog::debug("proxy: h2c connection ended peer={} reason={}", peer_.address().to_string(), why);
  error_code ignored;
  down_->dead = true;
  down_->sock.close(ignored);
  for (auto& c : upstreams_) {
    c->dead = true;
    c->sock.close(ignored);
    if (c->dialing) c->dialing->socket().close(ignored);
  }
  idle_.cancel();
  sweep_.cancel();
  done_.cancel();
}

void Relay::note_idle(Conn& c) {
  c.idle_since = Clock::now();
  arm_sweep();
}

void Relay::arm_sweep() {
  auto idle = ctx_.opts.idle_timeout;
  if (sweep_armed_ || finished_ || idle.count() <= 0) return;
  sweep_armed_ = true;
  sweep_.expires_after(idle);
  sweep_.async_wait([self = shared_from_this(), idle](error_code ec) {
    self->sweep_armed_ = false;
    if (ec || self->finished_) return;
    bool more = false;
    auto now = Clock::now();
    auto upstreams = self->upstreams_;
    for (auto& c : upstreams) {
      if (c->dead || !c->session || !c->streams.empty() || !c->waiting.empty()) continue;
      if (now - c->idle_since >= idle) self->upstream_failed(c, "idle");
      else more = true;
    }
    if (more) self->arm_sweep();
    self->flush();
  });
}

// A connection with no open stream may idle for opts.idle_timeout (like a keep-alive HTTP/1.1 one: a
// client that only sent the preface does not hold a slot for an hour); with streams open, for
// opts.tunnel_idle_timeout (long-lived gRPC streams may be silent for long).
std::chrono::milliseconds Relay::idle_limit() const {
  return streams_.empty() ? ctx_.opts.idle_timeout : ctx_.opts.tunnel_idle_timeout;
}

void Relay::arm_idle() {
  auto limit = idle_limit();
  if (limit.count() <= 0 || finished_) return;
  auto deadline = last_activity_ + limit;
  if (idle_armed_ && idle_deadline_ <= deadline) return;
  idle_armed_ = true;
  idle_deadline_ = deadline;
  idle_.expires_at(deadline);
  idle_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec == asio::error::operation_aborted) return;  // re-armed sooner, or finished
    self->idle_armed_ = false;
    if (self->finished_) return;
    auto limit = self->idle_limit();
    if (limit.count() > 0 && Clock::now() - self->last_activity_ >= limit) {
      self->finish("idle");
      return;
    }
    self->arm_idle();
  });
}

void Relay::arm_response_timeout(Stream& s) {
  auto timeout = ctx_.opts.response_timeout;
  if (timeout.count() <= 0) return;
  s.response_timer = std::make_unique<asio::steady_timer>(down_->sock.get_executor(), timeout);
  s.response_timer->async_wait([self = shared_from_this(), id = s.down_id](error_code ec) {
    if (ec || self->finished_) return;
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return;
    auto& st = *it->second;
    if (st.response_started || st.down_closed || !st.dest) return;
    self->ctx_.stats.upstream_errors.fetch_add(1, std::memory_order_relaxed);
    auto [status, why] = upstream_failure(*st.dest, beast::error::timeout, "response");
    spdlog::info("proxy: h2c {}", why);
    self->stop_forwarding(st);
    self->answer_error(st, status, why);
    self->flush();
  });
}

awaitable<void> Relay::run(std::string received) {
  ctx_.stats.h2_connections.fetch_add(1, std::memory_order_relaxed);
  down_->session = new_session(*down_);
  if (!down_->session) co_return;
  receive(down_, reinterpret_cast<const uint8_t*>(received.data()), received.size());
  flush();
  if (!finished_) {
    start_reading(down_);
    arm_idle();
    error_code ignored;
    co_await done_.async_wait(asio::redirect_error(use_awaitable, ignored));
  }
}

}  // namespace h2

awaitable<void> relay_h2(tcp::socket socket, std::string received, uint16_t listen_port, SessionContext& ctx) {
  auto relay = std::make_shared<h2::Relay>(std::move(socket), listen_port, ctx);
  co_await relay->run(std::move(received));
}

}  // namespace slime::proxy

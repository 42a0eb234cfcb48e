#include "slime/proxy/h2_relay.h"

#include <nghttp2/nghttp2.h>
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "slime/proxy/dial.h"
#include "slime/proxy/routing/h2_reply.h"
#include "slime/proxy/routing/h2_request.h"
#include "slime/proxy/server.h"

namespace slime::proxy {
namespace {

constexpr int32_t kStreamWindow = 256 * 1024;
constexpr int32_t kConnectionWindow = 1024 * 1024;
constexpr uint32_t kMaxConcurrentStreams = 1024;
constexpr size_t kWriteBatch = 64 * 1024;
constexpr size_t kResponseHeaderLimit = 256 * 1024;

using Clock = std::chrono::steady_clock;

// Bytes received on one side that the other side's session has not taken yet, and how that side ended.
struct Pipe {
  std::string bytes;
  size_t offset = 0;
  bool eof = false;
  std::vector<H2Header> trailers;

  size_t size() const { return bytes.size() - offset; }
  void append(const uint8_t* data, size_t n) { bytes.append(reinterpret_cast<const char*>(data), n); }
  size_t take(uint8_t* out, size_t n) {
    n = std::min(n, size());
    std::memcpy(out, bytes.data() + offset, n);
    offset += n;
    if (offset == bytes.size()) {
      bytes.clear();
      offset = 0;
    }
    return n;
  }
  size_t drop() {
    size_t n = size();
    bytes.clear();
    offset = 0;
    return n;
  }
};

struct Conn;
class Relay;

// One request: its downstream stream, and the upstream stream it was forwarded on (if any).
struct Stream {
  Stream(int32_t id, size_t header_limit) : down_id(id), head(header_limit) {}
  int32_t down_id;
  H2RequestHead head;
  std::vector<H2Header> trailer_fields;  // request trailers being received
  std::optional<Destination> dest;
  std::shared_ptr<Conn> up;  // the upstream connection (set once routed)
  int32_t up_id = -1;
  Pipe request, response;
  std::vector<H2Header> response_fields;  // the upstream header block being received
  size_t response_field_bytes = 0;
  bool forwarding = false;         // request bytes go upstream (routed, not refused, not reset)
  bool response_started = false;   // a response HEADERS was submitted downstream
  bool own_answer = false;         // the proxy answered itself: whatever the upstream still sends is dropped
  bool down_closed = false;
  bool up_closed = true;           // no upstream stream (yet, or any more)
  bool waiting = false;            // queued on an upstream connection that is still connecting
  uint64_t body_bytes = 0;
  std::string caller;
  std::unique_ptr<asio::steady_timer> response_timer;  // only with a response timeout
};

// One socket and the nghttp2 session speaking over it: the client's (server side) or an upstream's.
struct Conn {
  Conn(tcp::socket s, bool is_downstream) : sock(std::move(s)), downstream(is_downstream) {}
  ~Conn() {
    if (session) nghttp2_session_del(session);
  }
  tcp::socket sock;
  bool downstream;
  Relay* relay = nullptr;              // the session's callbacks reach the relay through this
  nghttp2_session* session = nullptr;  // null until connected (upstream)
  bool dead = false;
  bool writing = false;
  std::string out;
  std::array<uint8_t, 16 * 1024> in;
  // Upstream only.
  std::string key;
  Destination dest;
  bool draining = false;  // GOAWAY received: no new streams
  Clock::time_point idle_since = Clock::now();  // when its last stream ended
  beast::tcp_stream* dialing = nullptr;  // while connecting: closed to abandon the attempt
  std::vector<Stream*> waiting;
  std::unordered_set<Stream*> streams;
};

std::vector<nghttp2_nv> to_nv(const std::vector<H2Header>& headers) {
  std::vector<nghttp2_nv> nva;
  nva.reserve(headers.size());
  for (const auto& [n, v] : headers)
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  return nva;
}

class Relay : public std::enable_shared_from_this<Relay> {
 public:
  Relay(tcp::socket socket, uint16_t listen_port, SessionContext& ctx)
      : ctx_(ctx),
        listen_port_(listen_port),
        down_(std::make_shared<Conn>(std::move(socket), true)),
        done_(down_->sock.get_executor(), asio::steady_timer::time_point::max()),
        idle_(down_->sock.get_executor()),
        sweep_(down_->sock.get_executor()) {
    error_code ec;
    peer_ = down_->sock.remote_endpoint(ec);
  }

  awaitable<void> run(std::string received);

 private:
  // --- nghttp2 callbacks (user_data is the Conn; the Relay is reached through Conn::relay) ---
  struct Callbacks;
  static Relay& of(void* user_data);

  nghttp2_session* new_session(Conn& c);
  void start_reading(const std::shared_ptr<Conn>& c);
  void schedule_flush();
  void flush();
  void send(const std::shared_ptr<Conn>& c);
  void finish(std::string_view why);

  // Downstream events.
  void on_request(Stream& s, bool end_stream);
  void on_request_data(Stream& s, const uint8_t* data, size_t n);
  void on_request_end(Stream& s);
  void on_down_closed(Stream& s);
  void stop_forwarding(Stream& s);

  // Upstream events.
  std::shared_ptr<Conn> upstream_for(const Destination& d);
  void connected(const std::shared_ptr<Conn>& c, error_code ec);
  void submit_upstream(Stream& s);
  void on_response_head(Conn& c, Stream& s, bool end_stream);
  void on_response_data(Conn& c, Stream& s, const uint8_t* data, size_t n);
  void on_up_closed(Conn& c, Stream& s, uint32_t error_code);
  void upstream_failed(const std::shared_ptr<Conn>& c, const std::string& why);

  // Answers a stream downstream with the proxy's own error (or resets it when a response already began).
  void answer_error(Stream& s, unsigned status, const std::string& why);
  void reset_down(Stream& s, uint32_t code);
  void reset_up(Stream& s, uint32_t code);
  void submit_response(Stream& s, const std::vector<H2Header>& headers, bool with_body);
  void maybe_reap(Stream& s);

  static ssize_t read_response_body(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                                    nghttp2_data_source* src, void* user_data);
  static ssize_t read_request_body(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                                   nghttp2_data_source* src, void* user_data);

  void arm_idle();
  std::chrono::milliseconds idle_limit() const;
  void arm_response_timeout(Stream& s);
  // Upstream connections without streams for opts.idle_timeout are closed (a long-lived client
  // connection would otherwise keep one open to every destination it ever called).
  void note_idle(Conn& c);
  void arm_sweep();

  SessionContext& ctx_;
  uint16_t listen_port_;
  tcp::endpoint peer_;
  std::shared_ptr<Conn> down_;
  std::unordered_map<std::string, std::shared_ptr<Conn>> by_key_;  // upstreams new streams may use
  std::vector<std::shared_ptr<Conn>> upstreams_;                    // every live upstream, draining included
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams_;     // by downstream stream id
  std::vector<int32_t> reap_;                                        // streams that may be finished
  asio::steady_timer done_;
  asio::steady_timer idle_;
  asio::steady_timer sweep_;
  bool sweep_armed_ = false;
  RoutingState::Cached routing_;
  Clock::time_point last_activity_ = Clock::now();
  Clock::time_point idle_deadline_;
  bool idle_armed_ = false;
  bool flush_posted_ = false;
  bool finished_ = false;
};

Relay& Relay::of(void* user_data) { return *static_cast<Conn*>(user_data)->relay; }

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
    auto rv = nghttp2_session_mem_recv(c->session, c->in.data(), n);
    if (rv < 0) {
      if (c->downstream) {
        self->ctx_.stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("proxy: h2c protocol error peer={} error={}", self->peer_.address().to_string(),
                      nghttp2_strerror(static_cast<int>(rv)));
        // GOAWAY goes out (nghttp2 queued it); the relay ends once it is written.
        nghttp2_session_terminate_session(c->session, NGHTTP2_PROTOCOL_ERROR);
      } else {
        self->upstream_failed(c, std::string("spoke invalid HTTP/2: ") + nghttp2_strerror(static_cast<int>(rv)));
      }
    }
    self->flush();
    if (!c->dead && !self->finished_) self->start_reading(c);
  });
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
  auto rv = nghttp2_session_mem_recv(down_->session, reinterpret_cast<const uint8_t*>(received.data()),
                                     received.size());
  if (rv < 0) {
    ctx_.stats.bad_requests.fetch_add(1, std::memory_order_relaxed);
    nghttp2_session_terminate_session(down_->session, NGHTTP2_PROTOCOL_ERROR);
  }
  flush();
  if (!finished_) {
    start_reading(down_);
    arm_idle();
    error_code ignored;
    co_await done_.async_wait(asio::redirect_error(use_awaitable, ignored));
  }
}

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
  std::string key = d.dial_host + ":" + std::to_string(d.dial_port);
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

ssize_t Relay::read_response_body(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t len,
                                  uint32_t* flags, nghttp2_data_source* src, void* user_data) {
  auto& r = of(user_data);
  auto& s = *static_cast<Stream*>(src->ptr);
  size_t n = s.response.take(buf, len);
  if (n > 0) {
    if (s.up && s.up->session && !s.up->dead) {
      nghttp2_session_consume(s.up->session, s.up_id, n);
      r.schedule_flush();
    }
    return static_cast<ssize_t>(n);
  }
  if (!s.response.eof) return NGHTTP2_ERR_DEFERRED;
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (!s.response.trailers.empty()) {
    auto nva = to_nv(s.response.trailers);
    if (nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size()) == 0) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  }
  return 0;
}

ssize_t Relay::read_request_body(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t len,
                                 uint32_t* flags, nghttp2_data_source* src, void* user_data) {
  auto& r = of(user_data);
  auto& s = *static_cast<Stream*>(src->ptr);
  size_t n = s.request.take(buf, len);
  if (n > 0) {
    if (!s.down_closed) {
      nghttp2_session_consume(r.down_->session, s.down_id, n);
      r.schedule_flush();
    }
    return static_cast<ssize_t>(n);
  }
  if (!s.request.eof) return NGHTTP2_ERR_DEFERRED;
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (!s.request.trailers.empty()) {
    auto nva = to_nv(s.request.trailers);
    if (nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size()) == 0) *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  }
  return 0;
}

}  // namespace

awaitable<void> relay_h2(tcp::socket socket, std::string received, uint16_t listen_port, SessionContext& ctx) {
  auto relay = std::make_shared<Relay>(std::move(socket), listen_port, ctx);
  co_await relay->run(std::move(received));
}

}  // namespace slime::proxy

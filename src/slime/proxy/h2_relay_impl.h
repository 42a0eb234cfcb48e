#pragma once
// The h2c relay's inner types, shared by its two source files: h2_relay.cc (sessions, I/O, timers) and
// h2_relay_streams.cc (what happens to each request and response). Not part of the proxy's interface.
#include <nghttp2/nghttp2.h>

#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "slime/proxy/asio.h"
#include "slime/proxy/routing/h2_request.h"
#include "slime/proxy/session.h"

namespace slime::proxy::h2 {

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

inline std::vector<nghttp2_nv> to_nv(const std::vector<H2Header>& headers) {
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
  // Feeds received bytes to the connection's session; a protocol error ends the connection.
  void receive(const std::shared_ptr<Conn>& c, const uint8_t* data, size_t n);
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

inline Relay& Relay::of(void* user_data) { return *static_cast<Conn*>(user_data)->relay; }

}  // namespace slime::proxy::h2

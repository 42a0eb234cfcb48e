#pragma once
// h2c with prior knowledge (what gRPC clients and Envoy's h2 upstreams send): recognise the connection
// preface and read the first request's headers out of the client's opening frames, so the connection can
// be routed like an HTTP/1.1 request and then relayed byte for byte. Pure over a byte buffer, so the
// session can call it after every read and the fuzzer can call it on anything.
#include <cstdint>
#include <string>
#include <string_view>

#include "slime/proxy/routing/destination.h"

namespace slime::proxy {

inline constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class PrefaceMatch { kNeedMore, kHttp2, kNotHttp2 };
PrefaceMatch match_h2_preface(std::string_view data);

struct H2FirstRequest {
  enum class State { kNeedMore, kDone, kError } state = State::kNeedMore;
  std::string error;
  uint32_t stream_id = 0;
  std::string authority, method, path, content_type;
  std::string orig_dest, source_ns;
  bool has_orig_dest = false, has_source_ns = false;
};

// `data` starts with the preface. Walks the frames after it up to the end of the first HEADERS block
// (HEADERS + CONTINUATION, padding and priority removed) and decodes it with a fresh HPACK decoder: the
// client cannot have seen our SETTINGS yet, so the default table size applies. Needs more data until then;
// an error for anything that is not a valid opening (oversized frames, a block over `max_header_bytes`).
H2FirstRequest parse_h2_first_request(std::string_view data, size_t max_header_bytes);

// gRPC clients wait for the server's SETTINGS before sending a request, so the proxy sends an empty
// SETTINGS of its own right after the preface. The client ACKs it; that ACK must not reach the upstream
// (which never sent those settings; strict peers treat an unexpected ACK as a protocol error). Removes the
// first SETTINGS frame with the ACK flag from `data` (which starts with the preface).
enum class AckStrip { kStripped, kNeedMore, kError };
AckStrip strip_first_settings_ack(std::string& data);

// The empty SETTINGS frame the proxy sends.
inline constexpr std::string_view kEmptySettings{"\0\0\0\x04\0\0\0\0\0", 9};

// What routing needs from the first h2c request (views into `first`).
inline RequestFacts request_facts(const H2FirstRequest& first, uint16_t listen_port) {
  RequestFacts f;
  f.host = first.authority;
  f.orig_dest = first.orig_dest;
  f.has_orig_dest = first.has_orig_dest;
  f.source_ns = first.source_ns;
  f.has_source_ns = first.has_source_ns;
  f.method = first.method;
  f.listen_port = listen_port;
  return f;
}

}  // namespace slime::proxy

#pragma once
// The few HTTP/2 frames the proxy writes itself on an h2c connection it will not (or cannot) relay: an
// empty SETTINGS, a HEADERS frame that ends the first stream with an error status (for gRPC callers a
// Trailers-Only response with grpc-status and grpc-message), and a GOAWAY that refuses further streams.
#include <cstdint>
#include <string>
#include <string_view>

namespace slime::proxy {

// `http_status` is the HTTP status of the refusal (403, 502, 504, ...); `grpc` selects the gRPC form.
std::string h2_refusal(uint32_t stream_id, unsigned http_status, std::string_view reason, bool grpc);

// gRPC status code that best matches an HTTP refusal status.
unsigned grpc_status_for(unsigned http_status);

}  // namespace slime::proxy

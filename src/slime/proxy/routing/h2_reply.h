#pragma once
// What the proxy answers itself on an h2 stream it will not (or cannot) forward: for gRPC callers a
// Trailers-Only response (HTTP 200 with grpc-status and grpc-message, so the client sees a gRPC status
// instead of a transport error), for others the HTTP status with the same plain-text body as HTTP/1.1.
#include <string>
#include <string_view>

#include "slime/proxy/routing/h2_request.h"

namespace slime::proxy {

struct H2Reply {
  std::vector<H2Header> headers;
  std::string body;  // empty for gRPC (the headers end the stream)
};

// `http_status` is the HTTP status of the refusal (403, 502, 504, ...); `grpc` selects the gRPC form.
H2Reply h2_error_reply(unsigned http_status, std::string_view reason, bool grpc);

// gRPC status code that best matches an HTTP refusal status.
unsigned grpc_status_for(unsigned http_status);

// grpc-message is percent-encoded (gRPC over HTTP/2): printable ASCII except '%' stays as is.
std::string grpc_message(std::string_view reason);

}  // namespace slime::proxy

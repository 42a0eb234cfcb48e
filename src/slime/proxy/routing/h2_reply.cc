#include "slime/proxy/routing/h2_reply.h"

namespace slime::proxy {

std::string grpc_message(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

unsigned grpc_status_for(unsigned http_status) {
  switch (http_status) {
    case 400: return 13;  // INTERNAL
    case 403: return 7;   // PERMISSION_DENIED
    case 405: return 12;  // UNIMPLEMENTED
    case 413: return 8;   // RESOURCE_EXHAUSTED
    case 431: return 8;   // RESOURCE_EXHAUSTED
    case 504: return 4;   // DEADLINE_EXCEEDED
    default: return 14;   // UNAVAILABLE
  }
}

H2Reply h2_error_reply(unsigned http_status, std::string_view reason, bool grpc) {
  H2Reply r;
  if (grpc) {
    r.headers = {{":status", "200"},
                 {"content-type", "application/grpc"},
                 {"grpc-status", std::to_string(grpc_status_for(http_status))},
                 {"grpc-message", grpc_message(reason)}};
    return r;
  }
  r.body = "slime-proxy: " + std::string(reason) + "\n";
  r.headers = {{":status", std::to_string(http_status)},
               {"server", "slime-proxy"},
               {"content-type", "text/plain; charset=utf-8"},
               {"content-length", std::to_string(r.body.size())}};
  return r;
}

}  // namespace slime::proxy

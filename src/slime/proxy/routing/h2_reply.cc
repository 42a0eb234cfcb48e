#include "slime/proxy/routing/h2_reply.h"

#include <nghttp2/nghttp2.h>

#include <memory>
#include <vector>

namespace slime::proxy {
namespace {

void frame_header(std::string& out, size_t len, uint8_t type, uint8_t flags, uint32_t stream) {
  out.push_back(static_cast<char>((len >> 16) & 0xff));
  out.push_back(static_cast<char>((len >> 8) & 0xff));
  out.push_back(static_cast<char>(len & 0xff));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((stream >> shift) & 0xff));
}

void u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

nghttp2_nv nv(std::string_view name, std::string_view value) {
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

// grpc-message is percent-encoded (gRPC over HTTP/2 spec): keep printable ASCII except '%'.
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

}  // namespace

unsigned grpc_status_for(unsigned http_status) {
  switch (http_status) {
    case 400: return 13;  // INTERNAL
    case 403: return 7;   // PERMISSION_DENIED
    case 405: return 12;  // UNIMPLEMENTED
    case 504: return 4;   // DEADLINE_EXCEEDED
    default: return 14;   // UNAVAILABLE
  }
}

std::string h2_refusal(uint32_t stream_id, unsigned http_status, std::string_view reason, bool grpc) {
  std::string out;
  frame_header(out, 0, 0x4, 0, 0);  // SETTINGS (server preface)

  std::string status = std::to_string(grpc ? 200 : http_status);
  std::string gstatus = std::to_string(grpc_status_for(http_status));
  std::string gmsg = grpc_message(reason);
  std::vector<nghttp2_nv> headers = {nv(":status", status)};
  if (grpc) {
    headers.push_back(nv("content-type", "application/grpc"));
    headers.push_back(nv("grpc-status", gstatus));
    headers.push_back(nv("grpc-message", gmsg));
  } else {
    headers.push_back(nv("content-type", "text/plain"));
  }
  nghttp2_hd_deflater* raw = nullptr;
  if (stream_id != 0 && nghttp2_hd_deflate_new(&raw, 4096) == 0) {
    std::unique_ptr<nghttp2_hd_deflater, decltype(&nghttp2_hd_deflate_del)> deflater(raw, &nghttp2_hd_deflate_del);
    std::string block(nghttp2_hd_deflate_bound(deflater.get(), headers.data(), headers.size()), '\0');
    auto n = nghttp2_hd_deflate_hd(deflater.get(), reinterpret_cast<uint8_t*>(block.data()), block.size(),
                                   headers.data(), headers.size());
    if (n >= 0 && static_cast<size_t>(n) <= 16384) {
      block.resize(static_cast<size_t>(n));
      bool body = !grpc && !reason.empty() && reason.size() <= 16384;
      // END_HEADERS, and END_STREAM unless a plain-text body follows.
      frame_header(out, block.size(), 0x1, body ? 0x4 : 0x5, stream_id);
      out += block;
      if (body) {
        frame_header(out, reason.size(), 0x0, 0x1, stream_id);  // DATA, END_STREAM
        out += reason;
      }
    }
  }
  std::string debug(reason.substr(0, 1024));
  frame_header(out, 8 + debug.size(), 0x7, 0, 0);  // GOAWAY
  u32(out, stream_id);
  u32(out, stream_id ? 0x0 : 0x7);  // NO_ERROR after answering the stream, else REFUSED_STREAM
  out += debug;
  return out;
}

}  // namespace slime::proxy

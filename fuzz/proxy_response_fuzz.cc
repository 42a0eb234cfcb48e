// The response head the client gets, on arbitrary bytes: whatever Beast accepts as a response head and the
// proxy rewrites (routing/response_head.h) must parse again as the same response — same status, same
// framing (Content-Length, chunked or close-delimited) — and carry no upstream hop-by-hop field, the only
// Connection field being the proxy's own.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "slime/proxy/http_framers.h"
#include "slime/proxy/routing/response_head.h"

namespace {

using namespace slime;
namespace http = boost::beast::http;

// Parses a whole head; false when Beast refuses it or it is not complete.
bool parse_head(std::string_view bytes, proxy::ResponseFramer& f, size_t& taken) {
  boost::beast::error_code ec;
  f.eager(false);  // stop after the head: `taken` is its length
  taken = f.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  return !ec && f.is_header_done();
}

// The field lines of a head (status line skipped), by name.
bool has_field(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    pos += 2;
    auto eol = head.find("\r\n", pos);
    auto line = head.substr(pos, eol - pos);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && proxy::iequals_ascii(line.substr(0, colon), name)) return true;
    pos = eol;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  proxy::ResponseFramer first(8 * 1024, false);
  size_t taken = 0;
  if (!parse_head(input, first, taken)) return 0;
  size_t head_len = proxy::response_head_length(input.substr(0, taken));
  if (head_len == 0 || head_len > taken) __builtin_trap();
  auto head = input.substr(0, head_len);
  for (auto conn : {proxy::ClientConnection::kKeep, proxy::ClientConnection::kKeepHttp10, proxy::ClientConnection::kClose}) {
    std::string out;
    if (!proxy::rewrite_response_head(head, conn, out)) {
      if (conn != proxy::ClientConnection::kKeep) __builtin_trap();  // the proxy always says something then
      continue;
    }
    proxy::ResponseFramer again(64 * 1024, false);
    size_t again_taken = 0;
    if (!parse_head(out, again, again_taken) || again_taken != out.size()) __builtin_trap();
    if (again.status() != first.status() || again.chunked() != first.chunked() ||
        again.content_length() != first.content_length())
      __builtin_trap();
    for (auto name : {"keep-alive", "proxy-authenticate", "proxy-connection", "te", "upgrade"})
      if (has_field(out, name)) __builtin_trap();
    if (has_field(out, "connection") && conn == proxy::ClientConnection::kKeep) __builtin_trap();
  }
  return 0;
}

#pragma once
// The response head the client gets (RFC 9110 §7.6.1): what describes the upstream connection stops at the
// proxy. Connection and the fields it names, Keep-Alive, TE, Upgrade and Proxy-* (Proxy-Authenticate is a
// challenge for this hop, not the client's) are dropped; the framing fields (Content-Length,
// Transfer-Encoding) stay, because the body is relayed as framed. The proxy adds its own Connection field
// for the client's connection when it must say something (it closes it, or keeps an HTTP/1.0 one).
#include <cstddef>
#include <string>
#include <string_view>

namespace slime::proxy {

enum class ClientConnection {
  kKeep,         // HTTP/1.1 persistent: nothing to say
  kKeepHttp10,   // an HTTP/1.0 client that asked for keep-alive: "Connection: keep-alive"
  kClose,        // the proxy closes after this response: "Connection: close"
};

// Length of the head at the front of `bytes` (through the empty line), or 0 when `bytes` holds no whole
// head. Lines end in CRLF: Beast's parser, which accepted the head, requires it.
size_t response_head_length(std::string_view bytes);

// Rewrites `head` (a whole response head as response_head_length found it, status line included) into `out`
// for the client's hop. False, with `out` untouched, when the head is already right as it is (no hop-by-hop
// field and nothing to add): the common case forwards the bytes as they came, without a copy.
bool rewrite_response_head(std::string_view head, ClientConnection client, std::string& out);

}  // namespace slime::proxy

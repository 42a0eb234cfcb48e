#pragma once
// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) that a TCP connection to the
// global sidecar starts with: Envoy's upstream_proxy_protocol transport socket writes it with the caller's
// address and the destination the caller dialled. Pure and strict: the header must come first and complete
// within kMaxProxyHeaderBytes; anything the proxy could not route (LOCAL, UNKNOWN, UDP, unix sockets) or
// that the specification does not allow is refused with a reason.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace slime::proxy {

// v1 lines are at most 107 bytes; v2 is 16 bytes + the length field. 16 + 216 (the largest address block,
// AF_UNIX) leaves room for a few TLVs (Envoy sends none unless configured to pass some through).
inline constexpr size_t kMaxProxyHeaderBytes = 536;

struct ProxyHeader {
  int version = 0;  // 1 or 2
  std::string source_ip, dest_ip;
  uint16_t source_port = 0, dest_port = 0;
  size_t length = 0;  // bytes of the header; the payload starts right after
};

enum class ProxyParseStatus { kNeedMore, kDone, kInvalid };

struct ProxyParse {
  ProxyParseStatus status = ProxyParseStatus::kNeedMore;
  ProxyHeader header;  // set when kDone
  std::string error;   // set when kInvalid
};

// Parses the start of a connection. kNeedMore: `data` is a strict prefix of a possible header (read more;
// more than kMaxProxyHeaderBytes is never needed). kInvalid: not a header we accept, with the reason.
ProxyParse parse_proxy_header(std::string_view data);

// The v2 header for a TCP connection from source to dest (both IPv4 or both IPv6), as Envoy writes it;
// empty when an address is not an IP literal or the families differ. For tests, benchmarks and clients.
std::string encode_proxy_v2(const std::string& source_ip, uint16_t source_port, const std::string& dest_ip,
                            uint16_t dest_port);

}  // namespace slime::proxy

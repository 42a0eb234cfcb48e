// The PROXY protocol header parser on arbitrary bytes. Properties checked on every input:
//  * a verdict never needs more than kMaxProxyHeaderBytes: past that many bytes it is done or invalid;
//  * the verdict is stable: a complete header parses the same with any payload behind it, and every
//    strict prefix of a complete header needs more (so reading byte by byte meets the same header);
//  * an accepted header's addresses are IP literals of one family and its length is inside the input;
//  * an accepted v2 header re-encodes (addresses and ports) to a header that parses to the same fields.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "slime/proxy/routing/proxy_protocol.h"

namespace {

using slime::proxy::ProxyParseStatus;

void check(bool ok) {
  if (!ok) std::abort();
}

int family_of(const std::string& ip) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) return AF_INET;
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) return AF_INET6;
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto p = slime::proxy::parse_proxy_header(in);
  if (size >= slime::proxy::kMaxProxyHeaderBytes) check(p.status != ProxyParseStatus::kNeedMore);
  if (p.status == ProxyParseStatus::kInvalid) check(!p.error.empty());
  if (p.status != ProxyParseStatus::kDone) return 0;

  const auto& h = p.header;
  check(h.length > 0 && h.length <= size && h.length <= slime::proxy::kMaxProxyHeaderBytes);
  check(h.version == 1 || h.version == 2);
  int fam = family_of(h.source_ip);
  check(fam != 0 && fam == family_of(h.dest_ip));

  std::string_view header = in.substr(0, h.length);
  auto again = slime::proxy::parse_proxy_header(std::string(header) + "trailing payload");
  check(again.status == ProxyParseStatus::kDone && again.header.length == h.length &&
        again.header.dest_ip == h.dest_ip && again.header.dest_port == h.dest_port &&
        again.header.source_ip == h.source_ip && again.header.source_port == h.source_port);
  for (size_t n = 0; n < header.size(); ++n)
    check(slime::proxy::parse_proxy_header(header.substr(0, n)).status == ProxyParseStatus::kNeedMore);

  if (h.version == 2) {
    auto encoded = slime::proxy::encode_proxy_v2(h.source_ip, h.source_port, h.dest_ip, h.dest_port);
    auto round = slime::proxy::parse_proxy_header(encoded);
    check(round.status == ProxyParseStatus::kDone && round.header.dest_ip == h.dest_ip &&
          round.header.dest_port == h.dest_port && round.header.source_ip == h.source_ip &&
          round.header.source_port == h.source_port);
  }
  return 0;
}

#include "slime/proxy/routing/proxy_protocol.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace slime::proxy {
namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr size_t kV1MaxBytes = 107;  // "PROXY TCP6 <39> <39> 65535 65535\r\n"
constexpr std::array<unsigned char, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                         0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr size_t kV2FixedBytes = 16;

ProxyParse invalid(std::string why) {
  ProxyParse p;
  p.status = ProxyParseStatus::kInvalid;
  p.error = std::move(why);
  return p;
}

ProxyParse need_more() { return {}; }

// A v1 port: decimal, 0..65535, no sign and no leading zero (the specification's form).
bool v1_port(std::string_view s, uint16_t& out) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s.front() == '0')) return false;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

bool ip_of_family(std::string_view s, int family) {
  if (s.empty() || s.size() > 45) return false;
  char buf[46];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char addr[16];
  return inet_pton(family, buf, addr) == 1;
}

ProxyParse parse_v1(std::string_view data) {
  auto end = data.find("\r\n");
  if (end == std::string_view::npos) {
    if (data.size() >= kV1MaxBytes) return invalid("PROXY v1 line longer than 107 bytes");
    // A lone '\r' may be followed by '\n'; anything else than printable ASCII cannot be part of the line.
    for (size_t i = 0; i < data.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(data[i]);
      if (c == '\r' && i + 1 == data.size()) break;
      if (c < 0x20 || c > 0x7e) return invalid("PROXY v1 line has a control or non-ASCII byte");
    }
    return need_more();
  }
  if (end + 2 > kV1MaxBytes) return invalid("PROXY v1 line longer than 107 bytes");
  std::string_view line = data.substr(kV1Prefix.size(), end - kV1Prefix.size());
  for (char c : line)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      return invalid("PROXY v1 line has a control or non-ASCII byte");
  std::array<std::string_view, 5> f;
  size_t n = 0;
  for (size_t start = 0; start <= line.size();) {
    auto sp = line.find(' ', start);
    auto field = line.substr(start, sp == std::string_view::npos ? std::string_view::npos : sp - start);
    if (field.empty()) return invalid("PROXY v1 line has an empty field (fields are separated by one space)");
    if (n == f.size()) return invalid("PROXY v1 line has too many fields");
    f[n++] = field;
    if (sp == std::string_view::npos) break;
    start = sp + 1;
  }
  if (n >= 1 && f[0] == "UNKNOWN") return invalid("PROXY v1 UNKNOWN carries no destination to forward to");
  if (n != 5) return invalid("PROXY v1 line needs: protocol, source, destination, source port, destination port");
  int family;
  if (f[0] == "TCP4") family = AF_INET;
  else if (f[0] == "TCP6") family = AF_INET6;
  else return invalid("PROXY v1 protocol must be TCP4, TCP6 or UNKNOWN");
  ProxyParse p;
  auto& h = p.header;
  if (!ip_of_family(f[1], family)) return invalid("PROXY v1 source is not an " + std::string(f[0]) + " address");
  if (!ip_of_family(f[2], family)) return invalid("PROXY v1 destination is not an " + std::string(f[0]) + " address");
  if (!v1_port(f[3], h.source_port)) return invalid("PROXY v1 source port is not a port number");
  if (!v1_port(f[4], h.dest_port)) return invalid("PROXY v1 destination port is not a port number");
  h.version = 1;
  h.source_ip = std::string(f[1]);
  h.dest_ip = std::string(f[2]);
  h.length = end + 2;
  p.status = ProxyParseStatus::kDone;
  return p;
}

uint16_t be16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

std::string ip_text(int family, const unsigned char* p) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(family, p, buf, sizeof buf) ? std::string(buf) : std::string();
}

ProxyParse parse_v2(std::string_view data) {
  const auto* b = reinterpret_cast<const unsigned char*>(data.data());
  if (data.size() < kV2FixedBytes) return need_more();
  if ((b[12] >> 4) != 2) return invalid("PROXY v2 header has version " + std::to_string(b[12] >> 4) + ", expected 2");
  unsigned command = b[12] & 0x0f;
  if (command > 1) return invalid("PROXY v2 command " + std::to_string(command) + " is undefined");
  size_t len = be16(b + 14);
  if (kV2FixedBytes + len > kMaxProxyHeaderBytes)
    return invalid("PROXY v2 header of " + std::to_string(kV2FixedBytes + len) + " bytes is larger than " +
                   std::to_string(kMaxProxyHeaderBytes));
  if (data.size() < kV2FixedBytes + len) return need_more();
  if (command == 0) return invalid("PROXY v2 LOCAL command carries no destination to forward to");
  int family;
  size_t addr_len;
  switch (b[13]) {
    case 0x11: family = AF_INET, addr_len = 12; break;
    case 0x21: family = AF_INET6, addr_len = 36; break;
    case 0x00: return invalid("PROXY v2 PROXY command with an unspecified address family");
    default: return invalid("PROXY v2 address family/transport 0x" + std::string(1, "0123456789abcdef"[b[13] >> 4]) +
                            std::string(1, "0123456789abcdef"[b[13] & 15]) + " is not TCP over IPv4/IPv6");
  }
  if (len < addr_len) return invalid("PROXY v2 length " + std::to_string(len) + " is shorter than its addresses");
  // TLVs after the addresses: type, 16-bit length, value; they must fill the rest exactly.
  for (size_t at = kV2FixedBytes + addr_len; at < kV2FixedBytes + len;) {
    if (at + 3 > kV2FixedBytes + len) return invalid("PROXY v2 TLV header truncated");
    size_t vlen = be16(b + at + 1);
    if (at + 3 + vlen > kV2FixedBytes + len) return invalid("PROXY v2 TLV value runs past the header");
    at += 3 + vlen;
  }
  ProxyParse p;
  auto& h = p.header;
  const unsigned char* a = b + kV2FixedBytes;
  size_t ip_len = family == AF_INET ? 4 : 16;
  h.version = 2;
  h.source_ip = ip_text(family, a);
  h.dest_ip = ip_text(family, a + ip_len);
  h.source_port = be16(a + 2 * ip_len);
  h.dest_port = be16(a + 2 * ip_len + 2);
  h.length = kV2FixedBytes + len;
  if (h.source_ip.empty() || h.dest_ip.empty()) return invalid("PROXY v2 address cannot be printed");
  p.status = ProxyParseStatus::kDone;
  return p;
}

}  // namespace

ProxyParse parse_proxy_header(std::string_view data) {
  if (data.empty()) return need_more();
  if (data.front() == kV1Prefix.front()) {
    size_t n = std::min(data.size(), kV1Prefix.size());
    if (data.substr(0, n) != kV1Prefix.substr(0, n)) return invalid("no PROXY protocol header");
    if (data.size() <= kV1Prefix.size()) return need_more();
    return parse_v1(data);
  }
  size_t n = std::min(data.size(), kV2Signature.size());
  if (std::memcmp(data.data(), kV2Signature.data(), n) != 0) return invalid("no PROXY protocol header");
  return parse_v2(data);
}

std::string encode_proxy_v2(const std::string& source_ip, uint16_t source_port, const std::string& dest_ip,
                            uint16_t dest_port) {
  unsigned char src[16], dst[16];
  int family = AF_INET;
  if (inet_pton(AF_INET, source_ip.c_str(), src) != 1 || inet_pton(AF_INET, dest_ip.c_str(), dst) != 1) {
    family = AF_INET6;
    if (inet_pton(AF_INET6, source_ip.c_str(), src) != 1 || inet_pton(AF_INET6, dest_ip.c_str(), dst) != 1) return {};
  }
  size_t ip_len = family == AF_INET ? 4 : 16;
  std::string out(reinterpret_cast<const char*>(kV2Signature.data()), kV2Signature.size());
  out.push_back(static_cast<char>(0x21));  // version 2, PROXY
  out.push_back(static_cast<char>(family == AF_INET ? 0x11 : 0x21));
  size_t len = 2 * ip_len + 4;
  out.push_back(static_cast<char>(len >> 8));
  out.push_back(static_cast<char>(len & 0xff));
  out.append(reinterpret_cast<const char*>(src), ip_len);
  out.append(reinterpret_cast<const char*>(dst), ip_len);
  for (uint16_t port : {source_port, dest_port}) {
    out.push_back(static_cast<char>(port >> 8));
    out.push_back(static_cast<char>(port & 0xff));
  }
  return out;
}

}  // namespace slime::proxy

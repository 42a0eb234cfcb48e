#pragma once
// One HTTP/2 request's header block as the proxy sees it: collected field by field (nghttp2 has already
// decoded and validated it), bounded by the header limit, then routed like an HTTP/1.1 request and sent
// on with :authority set to the destination's and the two Slime-* headers taken out. Pure, so the relay,
// the fuzz target and the tests share it.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slime/proxy/routing/destination.h"

namespace slime::proxy {

using H2Header = std::pair<std::string, std::string>;

class H2RequestHead {
 public:
  explicit H2RequestHead(size_t max_header_bytes) : limit_(max_header_bytes) {}

  // Adds one decoded field (names are lower case in HTTP/2). Past the limit the field is dropped and
  // too_large() turns true: the proxy answers 431 instead of routing a truncated head.
  void add(std::string_view name, std::string_view value);
  bool too_large() const { return too_large_; }

  // What routing needs (views into this head; `host` falls back to a "host" field without :authority).
  RequestFacts facts(uint16_t listen_port) const;

  // The header block to send upstream: pseudo-headers first, :authority = the destination's Host, no
  // "host" field (it would contradict :authority), no Slime-Orig-Dest / Slime-Source-Ns.
  std::vector<H2Header> upstream_headers(const Destination& dest) const;

  std::string_view method() const { return method_; }
  std::string_view path() const { return path_; }
  std::string_view authority() const { return authority_.empty() ? host_ : authority_; }
  bool grpc() const { return std::string_view(content_type_).starts_with("application/grpc"); }
  // The first X-Forwarded-For field, for the caller's address when forwarded-for is trusted.
  std::string_view forwarded_for() const { return forwarded_for_; }

 private:
  size_t limit_;
  size_t bytes_ = 0;
  bool too_large_ = false;
  std::string method_, scheme_, authority_, path_, host_, content_type_, forwarded_for_;
  std::string orig_dest_, source_ns_;
  bool has_orig_dest_ = false, has_source_ns_ = false;
  std::vector<H2Header> others_;  // regular fields in arrival order (besides host and the Slime-* ones)
};

}  // namespace slime::proxy

#include "slime/proxy/routing/h2_request.h"

namespace slime::proxy {

void H2RequestHead::add(std::string_view name, std::string_view value) {
  if (too_large_) return;
  // RFC 7540 §6.5.2: a field counts its name, its value and 32 octets.
  bytes_ += name.size() + value.size() + 32;
  if (bytes_ > limit_) {
    too_large_ = true;
    return;
  }
  if (name.starts_with(':')) {
    if (name == ":method") method_ = value;
    else if (name == ":scheme") scheme_ = value;
    else if (name == ":authority") authority_ = value;
    else if (name == ":path") path_ = value;
    return;  // nghttp2 refuses any other pseudo-header before it gets here
  }
  if (name == "host") {
    if (host_.empty()) host_ = value;
    return;
  }
  if (name == "slime-orig-dest") {
    orig_dest_ = value;
    has_orig_dest_ = true;
    return;
  }
  if (name == "slime-source-ns") {
    source_ns_ = value;
    has_source_ns_ = true;
    return;
  }
  if (name == "content-type" && content_type_.empty()) content_type_ = value;
  if (name == "x-forwarded-for" && forwarded_for_.empty()) forwarded_for_ = value;
  others_.emplace_back(name, value);
}

RequestFacts H2RequestHead::facts(uint16_t listen_port) const {
  RequestFacts f;
  f.host = authority();
  f.orig_dest = orig_dest_;
  f.has_orig_dest = has_orig_dest_;
  f.source_ns = source_ns_;
  f.has_source_ns = has_source_ns_;
  f.method = method_;
  f.listen_port = listen_port;
  return f;
}

std::vector<H2Header> H2RequestHead::upstream_headers(const Destination& dest) const {
  std::vector<H2Header> out;
  out.reserve(others_.size() + 4);
  out.emplace_back(":method", method_);
  out.emplace_back(":scheme", scheme_.empty() ? std::string("http") : scheme_);
  out.emplace_back(":authority", dest.host_header);
  out.emplace_back(":path", path_.empty() ? std::string("/") : path_);
  out.insert(out.end(), others_.begin(), others_.end());
  return out;
}

}  // namespace slime::proxy

#pragma once
// Frames an HTTP/1.1 response without storing it. Nothing in a response is rewritten by the proxy, so
// its bytes are forwarded exactly as received; this parser only tells where the head and the message end
// (Content-Length, chunked, or close-delimited) and the status code. No fields are copied or allocated,
// unlike a beast::http::parser, and there is no re-serialization.
#include <cstdint>
#include <limits>

#include "slime/proxy/asio.h"

namespace slime::proxy {

class ResponseFramer final : public http::basic_parser<false> {
 public:
  ResponseFramer(size_t header_limit, bool head_request) {
    // Unlimited: Beast 1.74 compares Content-Length against an empty optional as "too large", so no none.
    body_limit(std::numeric_limits<std::uint64_t>::max());
    this->header_limit(static_cast<std::uint32_t>(header_limit));
    eager(true);  // parse the body bytes that came with the head in the same put()
    if (head_request) skip(true);
  }
  unsigned status() const { return status_; }

 private:
  using sv = beast::string_view;
  void on_request_impl(http::verb, sv, sv, int, error_code&) override {}
  void on_response_impl(int code, sv, int, error_code&) override { status_ = static_cast<unsigned>(code); }
  void on_field_impl(http::field, sv, sv, error_code&) override {}
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  size_t on_body_impl(sv body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, sv, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, sv body, error_code&) override { return body.size(); }
  void on_finish_impl(error_code&) override {}

  unsigned status_ = 0;
};

}  // namespace slime::proxy

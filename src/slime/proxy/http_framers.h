#pragma once
// HTTP/1.1 framers for the relay: Beast's parser state machine (validation, limits, Content-Length and
// chunked framing) without a message object. Bodies are forwarded byte for byte as parsed, so no fields
// are copied or allocated and nothing is re-serialized, unlike beast::http::parser + serializer.
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include <string>
#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/beast/http.hpp>

#include "slime/proxy/routing/ascii.h"
#include "slime/proxy/routing/destination.h"

namespace slime::proxy {

// The same names as asio.h, without its coroutine parts (this header is also built into the fuzz target).
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;

// Beast's parser with every body hook a pass-through: the framers only need to know where a message ends,
// the bytes themselves are forwarded from the read buffer as they are.
template <bool isRequest>
class PassThroughParser : public http::basic_parser<isRequest> {
 protected:
  using sv = beast::string_view;
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  size_t on_body_impl(sv body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, sv, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, sv body, error_code&) override { return body.size(); }
  void on_finish_impl(error_code&) override {}
};

// A response: the body goes on exactly as received (the head too, unless it carries hop-by-hop fields:
// routing/response_head.h); this only tells where the head and the message end (Content-Length, chunked,
// or close-delimited) and the status code.
class ResponseFramer final : public PassThroughParser<false> {
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
  void on_request_impl(http::verb, sv, sv, int, error_code&) override {}
  void on_response_impl(int code, sv, int, error_code&) override { status_ = static_cast<unsigned>(code); }
  void on_field_impl(http::field, sv, sv, error_code&) override {}

  unsigned status_ = 0;
};

// A request: the head is rewritten (Slime-* headers dropped, Host replaced), so the request line and the
// fields are recorded as views into the buffer that held the head; they stay valid until that buffer
// changes. The body goes on as received.
class RequestFramer final : public PassThroughParser<true> {
 public:
  struct Field {
    http::field name;
    std::string_view name_string;
    std::string_view value;
  };

  // `fields` is reused across requests (cleared here), so a request costs no allocation.
  RequestFramer(size_t header_limit, std::uint64_t body_limit, std::vector<Field>& fields) : fields_(fields) {
    fields_.clear();
    this->header_limit(static_cast<std::uint32_t>(header_limit));
    this->body_limit(body_limit);
  }

  // basic_parser::put on one contiguous buffer, remembering where it is (see on_field_impl).
  size_t put_contiguous(boost::asio::const_buffer input, error_code& ec) {
    input_begin_ = static_cast<const char*>(input.data());
    input_end_ = input_begin_ + input.size();
    return put(input, ec);
  }

  http::verb method() const { return method_; }
  std::string_view method_string() const { return method_string_; }
  std::string_view target() const { return target_; }
  unsigned version() const { return version_; }
  const std::vector<Field>& fields() const { return fields_; }
  // The first field with this name (case-insensitive), or nullptr.
  const Field* find(std::string_view name) const {
    for (const auto& f : fields_)
      if (iequals_ascii(f.name_string, name)) return &f;
    return nullptr;
  }
  const Field* find(http::field name) const {
    for (const auto& f : fields_)
      if (f.name == name) return &f;
    return nullptr;
  }

 private:
  static std::string_view v(sv s) { return {s.data(), s.size()}; }
  void on_request_impl(http::verb m, sv method, sv target, int version, error_code&) override {
    method_ = m;
    method_string_ = v(method);
    target_ = v(target);
    version_ = static_cast<unsigned>(version);
  }
  void on_response_impl(int, sv, int, error_code&) override {}
  void on_field_impl(http::field name, sv name_string, sv value, error_code& ec) override {
    // A folded value (obs-fold) is handed over from a temporary copy, not from the input, so its view
    // would dangle; RFC 7230 §3.2.4 lets a server reject it, which is what this does (400).
    if (!in_input(value.data()) || !in_input(name_string.data())) {
      ec = http::error::bad_value;
      return;
    }
    // Two Host fields make the destination ambiguous (and the rewrite would replace only one): RFC 7230
    // §5.4 requires a 400.
    if (name == http::field::host && find(http::field::host)) {
      ec = http::error::bad_value;
      return;
    }
    fields_.push_back({name, v(name_string), v(value)});
  }
  bool in_input(const char* p) const { return p >= input_begin_ && p <= input_end_; }

  // RFC 9112 §6.1/§6.3: a request with both Transfer-Encoding and Content-Length is a smuggling attempt
  // (two parties may frame it differently), and a Transfer-Encoding whose last coding is not chunked has no
  // length at all: both are answered 400. (Beast alone accepts "Transfer-Encoding: gzip" with a length.)
  void on_header_impl(error_code& ec) override {
    const Field* te = find(http::field::transfer_encoding);
    if (!te) return;
    if (find(http::field::content_length)) {
      ec = http::error::bad_transfer_encoding;
      return;
    }
    std::string_view v = te->value;
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    auto comma = v.rfind(',');
    auto last = comma == std::string_view::npos ? v : v.substr(comma + 1);
    while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
    if (!iequals_ascii(last, "chunked")) ec = http::error::bad_transfer_encoding;
  }

  std::vector<Field>& fields_;
  const char* input_begin_ = nullptr;
  const char* input_end_ = nullptr;
  http::verb method_ = http::verb::unknown;
  std::string_view method_string_, target_;
  unsigned version_ = 11;
};

// The one upgrade the proxy relays (as a tunnel after 101); any other Upgrade is dropped and the request
// goes on as a plain one.
inline bool supported_upgrade(const RequestFramer& f) {
  const auto* up = f.find(http::field::upgrade);
  return up && has_token(up->value, "websocket");
}

// RFC 9110 §7.6.1: fields that describe this connection, not the request, stop here — Connection and the
// fields it names, Keep-Alive, TE, Proxy-* (Proxy-Connection, Proxy-Authorization: credentials meant for
// this hop), Upgrade unless relayed. The framing fields (Content-Length, Transfer-Encoding) are kept
// whatever Connection names, since the body is relayed as framed; so is Host, which the caller replaces.
inline bool is_hop_by_hop(const RequestFramer& f, const RequestFramer::Field& fld, bool keep_upgrade) {
  using F = http::field;
  if (fld.name == F::content_length || fld.name == F::transfer_encoding || fld.name == F::host) return false;
  if (fld.name == F::connection || fld.name == F::keep_alive || fld.name == F::te) return true;
  if (fld.name == F::upgrade) return !keep_upgrade;
  if (fld.name_string.size() >= 6 && iequals_ascii(fld.name_string.substr(0, 6), "proxy-")) return true;
  for (const auto& c : f.fields())
    if (c.name == F::connection && has_token(c.value, fld.name_string)) return !(keep_upgrade && fld.name == F::upgrade);
  return false;
}

// The head sent upstream: the request line (origin-form target when the client sent absolute-form), Host
// set to the destination's, the client's end-to-end fields in order — minus the two Slime-* headers, an
// Expect: 100-continue the proxy answered itself and the hop-by-hop fields — then this hop's own
// Connection: "upgrade" for a relayed WebSocket handshake, "keep-alive" for an HTTP/1.0 client that asked.
inline void build_request_head(std::string& out, const RequestFramer& f, const Destination& dest) {
  out.clear();
  out.append(f.method_string());
  out += ' ';
  out.append(dest.origin_target.empty() ? f.target() : std::string_view(dest.origin_target));
  out += f.version() == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n";
  out += "Host: ";
  out += dest.host_header;
  out += "\r\n";
  const bool upgrade = supported_upgrade(f);
  for (const auto& fld : f.fields()) {
    if (fld.name == http::field::host) continue;
    if (fld.name == http::field::expect && iequals_ascii(fld.value, "100-continue")) continue;
    if (fld.name == http::field::unknown && (iequals_ascii(fld.name_string, "Slime-Orig-Dest") ||
                                             iequals_ascii(fld.name_string, "Slime-Source-Ns")))
      continue;
    if (is_hop_by_hop(f, fld, upgrade)) continue;
    out.append(fld.name_string);
    out += ": ";
    out.append(fld.value);
    out += "\r\n";
  }
  if (upgrade) out += "Connection: upgrade\r\n";
  else if (f.version() == 10 && f.keep_alive()) out += "Connection: keep-alive\r\n";
  out += "\r\n";
}

// What routing needs from an HTTP/1.1 request head (views into the framer's buffer).
inline RequestFacts request_facts(const RequestFramer& p, uint16_t listen_port) {
  RequestFacts f;
  if (auto* h = p.find(http::field::host)) f.host = h->value;
  auto* od = p.find("Slime-Orig-Dest");
  auto* sn = p.find("Slime-Source-Ns");
  f.has_orig_dest = od != nullptr;
  f.has_source_ns = sn != nullptr;
  if (od) f.orig_dest = od->value;
  if (sn) f.source_ns = sn->value;
  f.target = p.target();
  f.method = p.method_string();
  f.listen_port = listen_port;
  return f;
}

}  // namespace slime::proxy

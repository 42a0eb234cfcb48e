#include "slime/proxy/routing/h2_sniff.h"

#include <nghttp2/nghttp2.h>

#include <memory>

namespace slime::proxy {

PrefaceMatch match_h2_preface(std::string_view data) {
  size_t n = std::min(data.size(), kH2Preface.size());
  if (data.substr(0, n) != kH2Preface.substr(0, n)) return PrefaceMatch::kNotHttp2;
  return n == kH2Preface.size() ? PrefaceMatch::kHttp2 : PrefaceMatch::kNeedMore;
}

namespace {

constexpr uint8_t kData = 0x0, kHeaders = 0x1, kPriority = 0x2, kRstStream = 0x3, kSettings = 0x4, kPing = 0x6,
                  kWindowUpdate = 0x8, kContinuation = 0x9;
constexpr uint8_t kEndHeaders = 0x4, kPadded = 0x8, kPriorityFlag = 0x20;
constexpr size_t kMaxFrame = 16384;  // SETTINGS_MAX_FRAME_SIZE default: the client may not exceed it yet

H2FirstRequest error(std::string msg) {
  H2FirstRequest r;
  r.state = H2FirstRequest::State::kError;
  r.error = std::move(msg);
  return r;
}

bool decode_block(const std::string& block, H2FirstRequest& out) {
  nghttp2_hd_inflater* raw = nullptr;
  if (nghttp2_hd_inflate_new(&raw) != 0) return false;
  std::unique_ptr<nghttp2_hd_inflater, decltype(&nghttp2_hd_inflate_del)> inflater(raw, &nghttp2_hd_inflate_del);
  auto* in = reinterpret_cast<const uint8_t*>(block.data());
  size_t left = block.size();
  while (true) {
    nghttp2_nv nv;
    int flags = 0;
    auto n = nghttp2_hd_inflate_hd2(inflater.get(), &nv, &flags, in, left, 1);
    if (n < 0) return false;
    in += n;
    left -= static_cast<size_t>(n);
    if (flags & NGHTTP2_HD_INFLATE_EMIT) {
      std::string_view name(reinterpret_cast<const char*>(nv.name), nv.namelen);
      std::string value(reinterpret_cast<const char*>(nv.value), nv.valuelen);
      if (name == ":authority") out.authority = std::move(value);
      else if (name == "host" && out.authority.empty()) out.authority = std::move(value);
      else if (name == ":method") out.method = std::move(value);
      else if (name == ":path") out.path = std::move(value);
      else if (name == "content-type") out.content_type = std::move(value);
      else if (name == "slime-orig-dest") out.orig_dest = std::move(value), out.has_orig_dest = true;
      else if (name == "slime-source-ns") out.source_ns = std::move(value), out.has_source_ns = true;
    }
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(inflater.get());
      break;
    }
    if (n == 0 && left == 0) return false;  // block ended in the middle of a header field
  }
  return true;
}

}  // namespace

H2FirstRequest parse_h2_first_request(std::string_view data, size_t max_header_bytes) {
  if (data.size() < kH2Preface.size()) return {};
  size_t pos = kH2Preface.size();
  std::string block;
  uint32_t stream = 0;
  bool in_headers = false;
  while (true) {
    if (data.size() - pos < 9) return {};
    auto b = reinterpret_cast<const uint8_t*>(data.data() + pos);
    size_t len = (size_t{b[0]} << 16) | (size_t{b[1]} << 8) | b[2];
    uint8_t type = b[3], flags = b[4];
    uint32_t sid = ((uint32_t{b[5]} & 0x7f) << 24) | (uint32_t{b[6]} << 16) | (uint32_t{b[7]} << 8) | b[8];
    if (len > kMaxFrame) return error("HTTP/2 frame larger than the default maximum frame size");
    if (data.size() - pos - 9 < len) return {};
    std::string_view payload = data.substr(pos + 9, len);
    pos += 9 + len;
    if (in_headers) {
      if (type != kContinuation || sid != stream) return error("HTTP/2 header block interrupted");
      block.append(payload);
    } else if (type == kHeaders) {
      if (sid == 0) return error("HTTP/2 HEADERS on stream 0");
      stream = sid;
      size_t pad = 0;
      if (flags & kPadded) {
        if (payload.empty()) return error("HTTP/2 HEADERS padding without length");
        pad = static_cast<uint8_t>(payload[0]);
        payload.remove_prefix(1);
      }
      if (flags & kPriorityFlag) {
        if (payload.size() < 5) return error("HTTP/2 HEADERS priority truncated");
        payload.remove_prefix(5);
      }
      if (pad > payload.size()) return error("HTTP/2 HEADERS padding exceeds the frame");
      block.append(payload.substr(0, payload.size() - pad));
      in_headers = true;
    } else if (type == kSettings || type == kWindowUpdate || type == kPing || type == kPriority ||
               type == kRstStream || type > kContinuation) {
      // Connection set-up frames (and unknown extension frames, which must be ignored) before the request.
    } else if (type == kData) {
      return error("HTTP/2 DATA before any HEADERS");
    } else {
      return error("unexpected HTTP/2 frame before the first request");
    }
    if (block.size() > max_header_bytes) return error("HTTP/2 request headers too large");
    if (in_headers && (flags & kEndHeaders)) break;
  }
  H2FirstRequest out;
  if (!decode_block(block, out)) return error("invalid HPACK header block");
  out.stream_id = stream;
  out.state = H2FirstRequest::State::kDone;
  return out;
}

AckStrip strip_first_settings_ack(std::string& data) {
  if (data.size() < kH2Preface.size()) return AckStrip::kNeedMore;
  size_t pos = kH2Preface.size();
  while (true) {
    if (data.size() - pos < 9) return AckStrip::kNeedMore;
    auto b = reinterpret_cast<const uint8_t*>(data.data() + pos);
    size_t len = (size_t{b[0]} << 16) | (size_t{b[1]} << 8) | b[2];
    if (len > kMaxFrame) return AckStrip::kError;
    if (data.size() - pos - 9 < len) return AckStrip::kNeedMore;
    if (b[3] == kSettings && (b[4] & 0x1)) {
      if (len != 0) return AckStrip::kError;  // an ACK carries no payload
      data.erase(pos, 9);
      return AckStrip::kStripped;
    }
    pos += 9 + len;
  }
}

}  // namespace slime::proxy

#pragma once
// h2c with prior knowledge (what gRPC clients and Envoy's h2 upstreams send) is recognised by the
// connection preface; everything after it is the h2 relay's (h2_relay.h) to read.
#include <string_view>

namespace slime::proxy {

inline constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class PrefaceMatch { kNeedMore, kHttp2, kNotHttp2 };
PrefaceMatch match_h2_preface(std::string_view data);

}  // namespace slime::proxy

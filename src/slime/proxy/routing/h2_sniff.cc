#include "slime/proxy/routing/h2_sniff.h"

#include <algorithm>

namespace slime::proxy {

PrefaceMatch match_h2_preface(std::string_view data) {
  size_t n = std::min(data.size(), kH2Preface.size());
  if (data.substr(0, n) != kH2Preface.substr(0, n)) return PrefaceMatch::kNotHttp2;
  return n == kH2Preface.size() ? PrefaceMatch::kHttp2 : PrefaceMatch::kNeedMore;
}

}  // namespace slime::proxy

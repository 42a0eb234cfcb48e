#include "slime/modules/limiter/identity.h"

#include <algorithm>

namespace slime::limiter {
namespace {

// protobuf-go text-format string quoting.
void quote(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      // U+0080..U+009F (C1 controls) are escaped as \u00HH.
      unsigned char d = static_cast<unsigned char>(s[++i]);
      out += "\\u00";
      out += kHex[d >> 4];
      out += kHex[d & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

// Fields joined by two spaces, as `name:value`.
class Fields {
 public:
  explicit Fields(std::string& out) : out_(out) {}
  void name(std::string_view n) {
    if (!first_) out_ += "  ";
    first_ = false;
    out_ += n;
    out_ += ':';
  }
  void str(std::string_view n, std::string_view v) {
    if (v.empty()) return;
    name(n);
    quote(out_, v);
  }
  void num(std::string_view n, int64_t v) {
    if (v == 0) return;
    name(n);
    out_ += std::to_string(v);
  }
  void flag(std::string_view n, bool v) {
    if (!v) return;
    name(n);
    out_ += "true";
  }
  std::string& out() { return out_; }

 private:
  std::string& out_;
  bool first_ = true;
};

template <typename Body>
void message(Fields& f, std::string_view n, Body body) {
  f.name(n);
  f.out() += '{';
  Fields inner(f.out());
  body(inner);
  f.out() += '}';
}

}  // namespace

std::string canonical_text(const WrappedDescriptor& d) {
  std::string out;
  out.reserve(256);
  Fields f(out);
  // SmartLimitDescriptor: condition(1) action(2) match(3) target(4) custom_key(5) custom_value(6).
  message(f, "action", [&](Fields& a) {
    a.str("quota", d.action.quota);
    if (d.action.fill_interval)
      message(a, "fill_interval", [&](Fields& du) {
        du.num("seconds", d.action.fill_interval->seconds);
        du.num("nanos", d.action.fill_interval->nanos);
      });
    a.str("strategy", d.action.strategy);
    for (const auto& h : d.action.headers_to_add)
      message(a, "headers_to_add", [&](Fields& hf) {
        hf.str("key", h.key);
        hf.str("value", h.value);
      });
  });
  for (const auto& m : d.match)
    message(f, "match", [&](Fields& mf) {
      mf.str("name", m.name);
      mf.str("regex_match", m.regex_match);
      mf.str("exact_match", m.exact_match);
      mf.str("prefix_match", m.prefix_match);
      mf.str("suffix_match", m.suffix_match);
      mf.flag("present_match", m.present_match);
      mf.flag("invert_match", m.invert_match);
      mf.flag("is_exact_match_empty", m.is_exact_match_empty);
      mf.flag("present_match_separate", m.present_match_separate);
      mf.flag("useQueryMatch", m.use_query_match);
      if (m.source != MatchSource::kHead) {
        mf.name("matchSource");
        mf.out() += kMatchSourceNames[static_cast<int>(m.source)];
      }
    });
  if (d.target)
    message(f, "target", [&](Fields& t) {
      t.str("direction", d.target->direction);
      t.num("port", d.target->port);
      for (const auto& r : d.target->route) {
        t.name("route");
        quote(t.out(), r);
      }
      for (const auto& h : d.target->host) {
        t.name("host");
        quote(t.out(), h);
      }
    });
  return out;
}

uint32_t adler32(std::string_view data) {
  constexpr uint32_t kMod = 65521;
  // The sums are reduced once per 5552 bytes, the most that cannot overflow 32 bits (as zlib does).
  constexpr size_t kBlock = 5552;
  uint32_t a = 1, b = 0;
  while (!data.empty()) {
    size_t n = std::min(data.size(), kBlock);
    for (unsigned char c : data.substr(0, n)) {
      a += c;
      b += a;
    }
    a %= kMod;
    b %= kMod;
    data.remove_prefix(n);
  }
  return (b << 16) | a;
}

uint32_t descriptor_id(const WrappedDescriptor& d, std::string_view ns, std::string_view name) {
  std::string text = canonical_text(d);
  text += ns;
  text += '/';
  text += name;
  return adler32(text);
}

}  // namespace slime::limiter

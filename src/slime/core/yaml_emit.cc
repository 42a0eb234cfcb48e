// Json -> deterministic, readable block YAML.
#include <array>
#include <string>

#include "slime/core/json_depth.h"
#include "slime/core/yaml.h"

namespace slime::core {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// True when a plain scalar would be read back (by us or by a YAML 1.1 reader such as Go's yaml.v2)
// as something other than this string.
bool ambiguous_plain(std::string_view s) {
  static constexpr std::array<std::string_view, 22> kReserved = {
      "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes", "Yes",
      "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"};
  for (auto r : kReserved)
    if (s == r) return true;
  if (s == "y" || s == "Y" || s == "n" || s == "N" || s == "<<" || s == "=") return true;  // "<<" is a merge key
  // Anything that starts like a number (1, -2, .5, 0x1F, 1e3, 1_000, 12:30) is quoted: cheap and safe.
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i < s.size() && (is_digit(s[i]) || s[i] == '.')) return true;
  return false;
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  if (ambiguous_plain(s)) return true;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
  static constexpr std::string_view kBadFirst = "-?:,[]{}#&*!|>'\"%@`";
  if (kBadFirst.find(s.front()) != std::string_view::npos) {
    // "-foo" and ":foo" are valid plain scalars, but readers disagree on edge cases; quote them.
    return true;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == ':' && i + 1 < s.size() && s[i + 1] == ' ') return true;
    if (c == '#' && i > 0 && s[i - 1] == ' ') return true;
  }
  return false;
}

std::string double_quoted(std::string_view s) {
  // JSON string escaping is valid YAML double-quoted style.
  return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Multi-line strings print as literal blocks when they can round-trip exactly that way.
bool literal_block_ok(std::string_view s) {
  if (s.find('\n') == std::string_view::npos) return false;
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
  if (s.front() == ' ' || s.front() == '\t' || s.front() == '\n') return false;  // would need an indentation indicator
  // Trailing spaces on a line are kept by literal blocks, but a line of only spaces is ambiguous.
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find('\n', pos);
    if (end == std::string_view::npos) end = s.size();
    std::string_view line = s.substr(pos, end - pos);
    if (!line.empty() && line.find_first_not_of(' ') == std::string_view::npos) return false;
    pos = end + 1;
  }
  return true;
}

class Emitter {
 public:
  std::string out;

  void scalar_string(std::string_view s, int indent) {
    // At column 0 a content line could read as a document marker ("---"), so only nested strings use blocks.
    if (indent > 0 && literal_block_ok(s)) {
      size_t trailing = 0;
      while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
      out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
      std::string_view body = s.substr(0, s.size() - trailing);
      size_t pos = 0;
      std::string pad(static_cast<size_t>(indent), ' ');
      while (pos <= body.size()) {
        size_t end = body.find('\n', pos);
        if (end == std::string_view::npos) end = body.size();
        out += '\n';
        std::string_view line = body.substr(pos, end - pos);
        if (!line.empty()) out.append(pad).append(line);
        pos = end + 1;
      }
      for (size_t i = 1; i < trailing; ++i) out += '\n';
      return;
    }
    if (needs_quotes(s)) {
      out += double_quoted(s);
    } else {
      out += s;
    }
  }

  void scalar(const Json& v, int indent) {
    switch (v.type()) {
      case Json::value_t::null: out += "null"; break;
      case Json::value_t::boolean: out += v.get<bool>() ? "true" : "false"; break;
      case Json::value_t::string: scalar_string(v.get_ref<const std::string&>(), indent); break;
      default: out += v.dump(); break;
    }
  }

  static bool is_block(const Json& v) {
    return (v.is_object() && !v.empty()) || (v.is_array() && !v.empty());
  }

  // YAML allows at most 1024 characters in an implicit key: a longer one is written as an explicit key,
  // `? "key"` and then `:` on the next line at the key's column. Returns whether it was.
  bool key(std::string_view k, int indent) {
    static constexpr size_t kMaxImplicitKey = 1000;
    std::string text = needs_quotes(k) ? double_quoted(k) : std::string(k);
    if (text.size() <= kMaxImplicitKey) {
      out += text;
      out += ':';
      return false;
    }
    out += "? ";
    out += double_quoted(k);
    out += '\n';
    out.append(static_cast<size_t>(indent), ' ');
    out += ':';
    return true;
  }

  // Writes `v` as the value of a key whose line is already started; `indent` is the key's column.
  void value_after_key(const Json& v, int indent, bool explicit_key = false) {
    if (v.is_object() && !v.empty()) {
      out += '\n';
      mapping(v, indent + 2, false);
    } else if (v.is_array() && !v.empty()) {
      // Sequences under a key sit at the key's column, as kubectl prints them (indented under an explicit key).
      out += '\n';
      sequence(v, explicit_key ? indent + 2 : indent);
    } else if (v.is_object()) {
      out += " {}\n";
    } else if (v.is_array()) {
      out += " []\n";
    } else {
      out += ' ';
      scalar(v, indent + 2);
      out += '\n';
    }
  }

  void entry(std::string_view k, const Json& v, int indent, bool first_inline) {
    if (!first_inline) out.append(static_cast<size_t>(indent), ' ');
    bool explicit_key = key(k, indent);
    value_after_key(v, indent, explicit_key);
  }

  // `first_inline`: the first key continues a "- " already written.
  void mapping(const Json& obj, int indent, bool first_inline, bool top_level = false) {
    bool first = true;
    auto emit = [&](const std::string& k, const Json& v) {
      entry(k, v, indent, first && first_inline);
      first = false;
    };
    if (top_level) {
      static constexpr std::array<const char*, 6> kFront = {"apiVersion", "kind", "metadata", "spec", "data", "status"};
      for (const char* k : kFront)
        if (auto it = obj.find(k); it != obj.end()) {
          if (std::string_view(k) == "metadata" && it->is_object()) {
            metadata(*it, indent, first && first_inline);
            first = false;
          } else {
            emit(k, *it);
          }
        }
      for (auto it = obj.begin(); it != obj.end(); ++it) {
        bool front = false;
        for (const char* k : kFront) front = front || it.key() == k;
        if (!front) emit(it.key(), it.value());
      }
      return;
    }
    for (auto it = obj.begin(); it != obj.end(); ++it) emit(it.key(), it.value());
  }

  void metadata(const Json& meta, int indent, bool first_inline) {
    if (!first_inline) out.append(static_cast<size_t>(indent), ' ');
    key("metadata", indent);
    if (meta.empty()) {
      out += " {}\n";
      return;
    }
    out += '\n';
    bool first = true;
    for (const char* k : {"name", "namespace"})
      if (auto it = meta.find(k); it != meta.end()) {
        entry(k, *it, indent + 2, false);
        first = false;
      }
    (void)first;
    for (auto it = meta.begin(); it != meta.end(); ++it)
      if (it.key() != "name" && it.key() != "namespace") entry(it.key(), it.value(), indent + 2, false);
  }

  void sequence(const Json& arr, int indent) {
    for (const auto& item : arr) {
      out.append(static_cast<size_t>(indent), ' ');
      out += "- ";
      if (item.is_object() && !item.empty()) {
        mapping(item, indent + 2, true);
      } else if (item.is_array() && !item.empty()) {
        out += '\n';
        sequence(item, indent + 2);
      } else if (item.is_object()) {
        out += "{}\n";
      } else if (item.is_array()) {
        out += "[]\n";
      } else {
        scalar(item, indent + 2);
        out += '\n';
      }
    }
  }
};

}  // namespace

std::string to_yaml(const Json& doc) {
  // The emitter recurses once per level (and indents each level by two more columns): a document deeper
  // than the walk bound is not printed. The parsers refuse such input long before (kMaxNestingDepth), so
  // only a defect could build one; the output says so instead of overflowing the stack.
  if (json_depth(doc) > kMaxWalkDepth)
    return "# slime: document not printed: nesting deeper than " + std::to_string(kMaxWalkDepth) + " levels\nnull\n";
  Emitter e;
  if (doc.is_object() && !doc.empty()) {
    e.mapping(doc, 0, false, /*top_level=*/true);
  } else if (doc.is_array() && !doc.empty()) {
    e.sequence(doc, 0);
  } else if (doc.is_object()) {
    e.out = "{}\n";
  } else if (doc.is_array()) {
    e.out = "[]\n";
  } else {
    e.scalar(doc, 0);
    e.out += '\n';
  }
  return std::move(e.out);
}

std::string to_yaml_stream(const std::vector<Json>& docs) {
  std::string out;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i > 0) out += "---\n";
    out += to_yaml(docs[i]);
  }
  return out;
}

}  // namespace slime::core

// YAML/JSON text -> Json, one document at a time so a broken document does not hide its neighbours.
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <optional>

#include "slime/core/json_depth.h"
#include "slime/core/yaml.h"

namespace slime::core {
namespace {

// Bounds that keep hostile input (alias bombs, absurd nesting) from exhausting memory or stack. The node
// budget is per file (every document of one text draws on it), so a file of many alias bombs is refused
// as a whole instead of expanding each one to the limit.
constexpr int kMaxDepth = static_cast<int>(kMaxNestingDepth);
constexpr size_t kMaxNodes = 4'000'000;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  -- without std::regex, which is slow on every scalar.
bool looks_like_float(std::string_view v) {
  size_t i = 0;
  if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < v.size() && is_digit(v[i])) ++i, ++int_digits;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && is_digit(v[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
    size_t exp_digits = 0;
    while (i < v.size() && is_digit(v[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == v.size();
}

// Offset of the first byte that is not well-formed UTF-8 or is a forbidden control character, or npos. Kubernetes objects are UTF-8;
// letting other bytes through would only fail later, further from the user's file.
size_t invalid_utf8_at(std::string_view s, bool allow_controls = false) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return i;
    // YAML allows no C0 controls but tab, LF and CR (and a NUL would make yaml-cpp guess UTF-32).
    if (len == 1 && !allow_controls && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)) return i;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return i;
    if (len == 2 && c < 0xc2) return i;  // overlong
    if (len == 3) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 >= 0xa0)) return i;  // overlong, surrogate
    }
    if (len == 4) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xf0 && c1 < 0x90) || c > 0xf4 || (c == 0xf4 && c1 >= 0x90)) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

struct Converter {
  int line_offset = 0;  // added to yaml-cpp's 0-based marks to get file lines
  size_t& nodes;                // the file's running count
  FieldLines* lines = nullptr;  // when set: the line of every field path seen

  void note_line(const YAML::Node& n, const std::string& path) const {
    if (lines && n.Mark().line >= 0) lines->emplace(path, n.Mark().line + line_offset + 1);
  }

  Error error_at(const YAML::Node& n, std::string message, const std::string& path) const {
    Error e;
    e.message = std::move(message);
    e.field = path;
    e.line = n.Mark().line >= 0 ? n.Mark().line + line_offset + 1 : 0;
    return e;
  }

  Result<Json> scalar(const YAML::Node& n, const std::string& path) const {
    const std::string& tag = n.Tag();
    const std::string& v = n.Scalar();
    // Escapes in quoted scalars ("\xff", a backslash before a multi-byte character) can yield bytes
    // that are not UTF-8 even though the file is; such strings could never be written back.
    if (invalid_utf8_at(v, /*allow_controls=*/true) != std::string::npos)
      return std::unexpected(error_at(n, "string is not valid UTF-8 after unescaping", path));
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return Json(v);
    if (tag == "?") return plain(v);
    if (tag == "tag:yaml.org,2002:int") {
      Json j = plain(v);
      if (!j.is_number_integer() && !j.is_number_unsigned())
        return std::unexpected(error_at(n, "value tagged !!int is not an integer: '" + v + "'", path));
      return j;
    }
    if (tag == "tag:yaml.org,2002:float") {
      Json j = plain(v);
      if (!j.is_number()) return std::unexpected(error_at(n, "value tagged !!float is not a number: '" + v + "'", path));
      return Json(j.get<double>());
    }
    if (tag == "tag:yaml.org,2002:bool") {
      Json j = plain(v);
      if (!j.is_boolean()) return std::unexpected(error_at(n, "value tagged !!bool is not true/false: '" + v + "'", path));
      return j;
    }
    if (tag == "tag:yaml.org,2002:null") return Json(nullptr);
    return Json(v);  // application tags (!Ref and the like) carry no meaning for Kubernetes objects
  }

  // YAML 1.2 core schema resolution of an untagged plain scalar.
  static Json plain(const std::string& v) {
    if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return nullptr;
    if (v == "true" || v == "True" || v == "TRUE") return true;
    if (v == "false" || v == "False" || v == "FALSE") return false;
    const char* b = v.data();
    const char* e = v.data() + v.size();
    bool neg = *b == '-';
    const char* digits = (*b == '-' || *b == '+') ? b + 1 : b;
    if (digits != e && std::all_of(digits, e, [](char c) { return c >= '0' && c <= '9'; })) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(neg ? b : digits, e, i);
      if (ec == std::errc() && p == e) return i;
      uint64_t u = 0;
      auto [pu, ecu] = std::from_chars(digits, e, u);
      if (!neg && ecu == std::errc() && pu == e) return u;
      return std::strtod(v.c_str(), nullptr);
    }
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'o')) {
      int base = v[1] == 'x' ? 16 : 8;
      int64_t i = 0;
      auto [p, ec] = std::from_chars(b + 2, e, i, base);
      if (ec == std::errc() && p == e) return i;
      return v;
    }
    if (looks_like_float(v)) {
      double d = std::strtod(v.c_str(), nullptr);
      if (std::isfinite(d)) return d;
    }
    return v;  // .inf/.nan have no JSON form; they stay strings
  }

  Result<Json> convert(const YAML::Node& n, const std::string& path, int depth) {
    if (depth > kMaxDepth) return std::unexpected(error_at(n, "nesting deeper than 256 levels", path));
    if (++nodes > kMaxNodes)
      return std::unexpected(error_at(n, "file expands to more than 4,000,000 nodes (alias bomb?)", path));
    note_line(n, path);
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return Json(nullptr);
      case YAML::NodeType::Scalar:
        return scalar(n, path);
      case YAML::NodeType::Sequence: {
        Json arr = Json::array();
        size_t i = 0;
        for (const auto& item : n) {
          auto v = convert(item, path + "[" + std::to_string(i++) + "]", depth + 1);
          if (!v) return v;
          arr.push_back(std::move(*v));
        }
        return arr;
      }
      case YAML::NodeType::Map:
        return mapping(n, path, depth);
    }
    return Json(nullptr);
  }

  Result<Json> mapping(const YAML::Node& n, const std::string& path, int depth) {
    Json obj = Json::object();
    std::vector<Json> merges;  // `<<: *base` values, applied after explicit keys so those win
    for (const auto& kv : n) {
      const YAML::Node& k = kv.first;
      if (!k.IsScalar() && !k.IsNull())
        return std::unexpected(error_at(k, "mapping keys must be scalars", path));
      std::string key = k.IsNull() ? std::string("null") : k.Scalar();
      if (invalid_utf8_at(key, /*allow_controls=*/true) != std::string::npos)
        return std::unexpected(error_at(k, "mapping key is not valid UTF-8 after unescaping", path));
      std::string child = join_path(path, key);
      note_line(k, child);  // a field's line is its key's line, where a reader looks for it
      auto v = convert(kv.second, child, depth + 1);
      if (!v) return v;
      if (key == "<<" && k.Tag() == "?") {
        if (v->is_object()) {
          merges.push_back(std::move(*v));
        } else if (v->is_array()) {
          for (auto& m : *v) {
            if (!m.is_object()) return std::unexpected(error_at(kv.second, "merge key '<<' takes mappings", child));
            merges.push_back(std::move(m));
          }
        } else {
          return std::unexpected(error_at(kv.second, "merge key '<<' takes a mapping or a list of mappings", child));
        }
        continue;
      }
      if (obj.contains(key)) return std::unexpected(error_at(k, "duplicate key '" + key + "'", path));
      obj[key] = std::move(*v);
    }
    for (auto& m : merges)
      for (auto& [k, v] : m.items())
        if (!obj.contains(k)) obj[k] = v;
    return obj;
  }
};

bool starts_like_json(std::string_view text) {
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{' || c == '[';
  }
  return false;
}

int line_of_offset(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

Result<Json> parse_json_text(std::string_view text) {
  // nlohmann builds any depth; every recursive walk after it (copies, comparisons, dump, the emitter) would
  // not survive a million levels, so JSON gets YAML's nesting cap before it is parsed.
  if (size_t at = json_text_too_deep_at(text); at != std::string_view::npos) {
    Error err;
    err.message = "nesting deeper than " + std::to_string(kMaxNestingDepth) + " levels";
    err.line = line_of_offset(text, at);
    return std::unexpected(err);
  }
  try {
    return Json::parse(text.begin(), text.end(), nullptr, true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    Error err;
    err.message = std::string("invalid JSON: ") + e.what();
    err.line = line_of_offset(text, e.byte > 0 ? e.byte - 1 : 0);
    return std::unexpected(err);
  } catch (const Json::exception& e) {  // e.g. a number too large for a double
    Error err;
    err.message = std::string("invalid JSON: ") + e.what();
    return std::unexpected(err);
  }
}

// Parses one document's text. `first_line` is the 0-based file line the text starts at; `nodes` is the
// file's node count so far.
Result<Json> parse_one(std::string_view text, int first_line, size_t& nodes, FieldLines* lines = nullptr) {
  if (size_t bad = invalid_utf8_at(text); bad != std::string_view::npos) {
    Error err;
    err.message = "invalid character: byte " + std::to_string(static_cast<unsigned char>(text[bad])) +
                  " is not printable UTF-8";
    err.line = line_of_offset(text, bad) + first_line;
    return std::unexpected(err);
  }
  std::optional<Error> json_error;
  if (starts_like_json(text)) {
    auto j = parse_json_text(text);
    if (j) return j;
    j.error().line += first_line;
    // Flow-style YAML can also start with '{' or '['; the YAML parser gets a second look, but a
    // failure is reported with the JSON parser's more precise message.
    json_error = std::move(j.error());
  }
  try {
    YAML::Node node = YAML::Load(std::string(text));
    Converter conv{first_line, nodes};
    conv.lines = lines;
    return conv.convert(node, "", 0);
  } catch (const YAML::Exception& e) {
    if (json_error) return std::unexpected(*json_error);
    Error err;
    err.message = "invalid YAML: " + e.msg;
    err.line = e.mark.line >= 0 ? e.mark.line + first_line + 1 : 0;
    return std::unexpected(err);
  }
}

bool only_comments(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#' && line.substr(first) != "...") return false;
    pos = end + 1;
  }
  return true;
}

bool is_separator(std::string_view line) {
  if (line.size() < 3 || line.substr(0, 3) != "---") return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
}

}  // namespace

ParsedFile parse_yaml_documents(std::string_view text, std::string_view file) {
  ParsedFile out;
  // Split at `---` lines ourselves: yaml-cpp's LoadAll gives up on the whole stream at the first error.
  struct Chunk {
    std::string text;
    int first_line;  // 0-based
  };
  std::vector<Chunk> chunks(1, Chunk{"", 0});
  size_t pos = 0;
  int line_no = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (end == text.size() && line.empty()) break;  // the text's final newline starts no line
    if (is_separator(line)) {
      std::string rest(line.substr(3));
      // Content after the marker (e.g. "--- {a: 1}") belongs to the new document.
      bool has_content = rest.find_first_not_of(" \t\r") != std::string::npos && rest.find_first_not_of(" \t\r") != rest.find('#');
      chunks.push_back(Chunk{has_content ? rest + "\n" : std::string(), has_content ? line_no : line_no + 1});
    } else {
      chunks.back().text.append(line);
      chunks.back().text.push_back('\n');
    }
    if (end == text.size()) break;
    pos = end + 1;
    ++line_no;
  }
  int total_lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) +
                    (!text.empty() && text.back() != '\n' ? 1 : 0);
  int index = 0;
  size_t nodes = 0;
  for (auto& c : chunks) {
    if (only_comments(c.text)) continue;
    int doc_index = index++;
    auto j = parse_one(c.text, c.first_line, nodes);
    if (!j) {
      Error e = std::move(j.error());
      e.line = std::min(e.line, total_lines);  // errors "at end of stream" point at the last line
      e.file = file;
      e.document = doc_index;
      out.errors.push_back(std::move(e));
      continue;
    }
    if (j->is_null()) continue;
    int start = c.first_line + 1;
    // Point at the first meaningful line, not at blank lines or comments before it.
    for (size_t p = 0; p < c.text.size();) {
      size_t e = c.text.find('\n', p);
      if (e == std::string::npos) e = c.text.size();
      std::string_view l(c.text.data() + p, e - p);
      size_t f = l.find_first_not_of(" \t\r");
      if (f != std::string_view::npos && l[f] != '#') break;
      ++start;
      p = e + 1;
    }
    out.documents.push_back(Document{doc_index, start, std::move(*j)});
  }
  return out;
}

Result<Json> parse_yaml(std::string_view text, std::string_view file, FieldLines* lines) {
  size_t nodes = 0;
  auto j = parse_one(text, 0, nodes, lines);
  if (!j) {
    j.error().file = file;
    return j;
  }
  return j;
}

}  // namespace slime::core

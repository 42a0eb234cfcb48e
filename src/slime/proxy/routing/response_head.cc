#include "slime/proxy/routing/response_head.h"

#include <vector>

#include "slime/proxy/routing/ascii.h"

namespace slime::proxy {
namespace {

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// A field line of the head: its name, its value, and the whole line (continuation lines included) with
// its CRLF, so a kept field is copied exactly as it came.
struct FieldLine {
  std::string_view name;
  std::string_view value;
  std::string_view line;
};

bool hop_by_hop(const FieldLine& f, const std::vector<std::string_view>& connection_values) {
  if (iequals_ascii(f.name, "content-length") || iequals_ascii(f.name, "transfer-encoding")) return false;
  if (iequals_ascii(f.name, "connection") || iequals_ascii(f.name, "keep-alive") || iequals_ascii(f.name, "te") ||
      iequals_ascii(f.name, "upgrade"))
    return true;
  if (f.name.size() >= 6 && iequals_ascii(f.name.substr(0, 6), "proxy-")) return true;
  for (auto list : connection_values)
    if (has_token(list, f.name)) return true;
  return false;
}

}  // namespace

size_t response_head_length(std::string_view bytes) {
  auto end = bytes.find("\r\n\r\n");
  return end == std::string_view::npos ? 0 : end + 4;
}

bool rewrite_response_head(std::string_view head, ClientConnection client, std::string& out) {
  auto first_end = head.find("\r\n");
  if (first_end == std::string_view::npos) return false;
  std::string_view status_line = head.substr(0, first_end + 2);

  std::vector<FieldLine> fields;
  std::vector<std::string_view> connection_values;
  size_t pos = first_end + 2;
  while (pos < head.size()) {
    auto eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos || eol == pos) break;  // the empty line: end of the head
    std::string_view line = head.substr(pos, eol + 2 - pos);
    if ((line.front() == ' ' || line.front() == '\t') && !fields.empty()) {
      // obs-fold: the previous field goes on; it is kept or dropped whole.
      auto& prev = fields.back();
      prev.line = std::string_view(prev.line.data(), prev.line.size() + line.size());
    } else {
      auto colon = line.find(':');
      if (colon == std::string_view::npos) return false;  // not a field: leave the head as the parser took it
      FieldLine f{line.substr(0, colon), trim(line.substr(colon + 1, line.size() - colon - 3)), line};
      if (iequals_ascii(f.name, "connection")) connection_values.push_back(f.value);
      fields.push_back(f);
    }
    pos = eol + 2;
  }

  bool drop_any = false;
  for (const auto& f : fields) drop_any = drop_any || hop_by_hop(f, connection_values);
  if (!drop_any && client == ClientConnection::kKeep) return false;

  out.clear();
  out.reserve(head.size() + 24);
  out.append(status_line);
  for (const auto& f : fields)
    if (!hop_by_hop(f, connection_values)) out.append(f.line);
  if (client == ClientConnection::kClose) out += "Connection: close\r\n";
  else if (client == ClientConnection::kKeepHttp10) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  return true;
}

}  // namespace slime::proxy

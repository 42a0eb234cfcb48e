#include "slime/graph/graph_formats.h"

#include <map>
#include <sstream>
#include <vector>

namespace slime::graph {
namespace {

using core::Json;

std::string str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// DOT double-quoted string: backslashes and quotes escaped, newlines dropped.
std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n' || c == '\r') continue;
    out += c;
  }
  return out + "\"";
}

// XML text and attribute values.
std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;  // control characters are not XML
    }
  }
  return out;
}

std::string group_of(const Json& node) {
  std::string kind = str(node, "kind");
  return kind == "external" ? std::string("(external)") : str(node, "namespace");
}

std::string edge_label(const Json& e) {
  if (e.contains("count")) return std::to_string(e["count"].get<size_t>());
  return str(e, "via");
}

// Box labels fit their 200-pixel boxes (as on the /ui page); the full name is in the tooltip.
std::string clip(const std::string& s) {
  constexpr size_t kChars = 26;
  if (s.size() <= kChars) return s;
  size_t cut = kChars - 1;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  return s.substr(0, cut) + "\u2026";
}

bool is_static(const Json& e) { return str(e, "via") == "static"; }

}  // namespace

std::string to_dot(const Json& view) {
  std::ostringstream out;
  out << "digraph mesh {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"sans-serif\"];\n";
  std::map<std::string, std::vector<const Json*>> groups;
  for (const auto& n : view["nodes"]) groups[group_of(n)].push_back(&n);
  int i = 0;
  for (const auto& [group, nodes] : groups) {
    out << "  subgraph cluster_" << i++ << " {\n    label=" << dot_quote(group) << ";\n";
    for (const auto* n : nodes) {
      std::string kind = str(*n, "kind");
      out << "    " << dot_quote(str(*n, "id")) << " [label=" << dot_quote(str(*n, "name"));
      if (kind == "external") out << ", style=\"rounded,dashed\"";
      if (kind == "namespace") out << ", shape=folder";
      out << "];\n";
    }
    out << "  }\n";
  }
  for (const auto& e : view["edges"]) {
    out << "  " << dot_quote(str(e, "from")) << " -> " << dot_quote(str(e, "to")) << " [label=" << dot_quote(edge_label(e));
    if (is_static(e)) out << ", style=dashed";
    std::string state = str(e, "state");
    if (state == "EXPIRE" || state == "EXPIREWAIT") out << ", color=gray";
    out << "];\n";
  }
  out << "}\n";
  return out.str();
}

std::string to_svg(const Json& view) {
  constexpr int kColumn = 240, kRow = 48, kTop = 56, kLeft = 20, kBoxW = 200, kBoxH = 30;
  std::map<std::string, std::vector<const Json*>> groups;
  for (const auto& n : view["nodes"]) groups[group_of(n)].push_back(&n);
  std::map<std::string, std::pair<int, int>> pos;  // node id -> box centre
  size_t rows = 0;
  int col = 0;
  std::ostringstream boxes;
  for (const auto& [group, nodes] : groups) {
    int x = kLeft + col * kColumn;
    boxes << "<g class=\"ns\"><rect x=\"" << x - 10 << "\" y=\"" << kTop - 40 << "\" width=\"" << kBoxW + 20
          << "\" height=\"" << nodes.size() * kRow + 50 << "\" rx=\"8\" fill=\"#f4f6f8\" stroke=\"#c8d0d8\"/>"
          << "<text x=\"" << x << "\" y=\"" << kTop - 20 << "\" font-weight=\"bold\">" << xml_escape(clip(group))
          << "</text><title>" << xml_escape(group) << "</title></g>\n";
    for (size_t r = 0; r < nodes.size(); ++r) {
      const Json& n = *nodes[r];
      int y = kTop + static_cast<int>(r) * kRow;
      pos[str(n, "id")] = {x + kBoxW / 2, y + kBoxH / 2};
      std::string kind = str(n, "kind");
      boxes << "<g class=\"node " << xml_escape(kind) << "\"><rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << kBoxW
            << "\" height=\"" << kBoxH << "\" rx=\"6\" fill=\"#fff\" stroke=\"" << (n.value("fenced", false) ? "#2b6cb0" : "#889")
            << "\"" << (kind == "external" ? " stroke-dasharray=\"4 3\"" : "") << "/><text x=\"" << x + 8 << "\" y=\""
            << y + 20 << "\">" << xml_escape(clip(str(n, "name"))) << "</text><title>" << xml_escape(str(n, "id"))
            << "</title></g>\n";
    }
    rows = std::max(rows, nodes.size());
    ++col;
  }
  std::ostringstream edges;
  for (const auto& e : view["edges"]) {
    auto f = pos.find(str(e, "from")), t = pos.find(str(e, "to"));
    if (f == pos.end() || t == pos.end()) continue;
    auto [x1, y1] = f->second;
    auto [x2, y2] = t->second;
    // Leave and enter boxes on their sides; an edge within a column bends outwards.
    if (x1 == x2) {
      x1 += kBoxW / 2;
      x2 += kBoxW / 2;
    } else if (x2 > x1) {
      x1 += kBoxW / 2;
      x2 -= kBoxW / 2;
    } else {
      x1 -= kBoxW / 2;
      x2 += kBoxW / 2;
    }
    int cx = x1 == x2 ? x1 + 60 : (x1 + x2) / 2, cy = (y1 + y2) / 2 - (x1 == x2 ? 0 : 20);
    edges << "<path class=\"edge\" d=\"M" << x1 << ' ' << y1 << " Q" << cx << ' ' << cy << ' ' << x2 << ' ' << y2
          << "\" fill=\"none\" stroke=\"" << (is_static(e) ? "#718096" : "#2b6cb0") << "\" stroke-width=\"1.5\""
          << (is_static(e) ? " stroke-dasharray=\"6 4\"" : "") << " marker-end=\"url(#arrow)\"><title>"
          << xml_escape(str(e, "from") + " -> " + str(e, "to") + " (" + edge_label(e) + ")") << "</title></path>\n";
  }
  int width = kLeft * 2 + std::max(col, 1) * kColumn, height = kTop + static_cast<int>(rows) * kRow + 30;
  std::ostringstream out;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"13\">\n"
      << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
         "orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"#4a5568\"/></marker></defs>\n"
      << boxes.str() << edges.str() << "</svg>\n";
  return out.str();
}

}  // namespace slime::graph

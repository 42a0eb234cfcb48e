#include "slime/modules/limiter/rls_config.h"

#include <algorithm>

#include "slime/core/yaml.h"
#include "slime/modules/limiter/envoy_filter.h"

namespace slime::limiter {
namespace {

using core::Json;

const char* unit_of(const Duration& d) {
  switch (d.seconds) {
    case 1: return "SECOND";
    case 60: return "MINUTE";
    case 3600: return "HOUR";
    case 86400: return "DAY";
    default: return nullptr;  // rejected when the descriptor was parsed
  }
}

// Nests the (key, value) chain and puts the rate limit on the innermost entry.
Json chain(const std::vector<std::pair<std::string, std::optional<std::string>>>& pairs, const Json& rate_limit) {
  Json inner;
  for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) {
    Json e = {{"key", it->first}};
    if (it->second) e["value"] = *it->second;
    if (inner.is_null()) e["rate_limit"] = rate_limit;
    else e["descriptors"] = Json::array({std::move(inner)});
    inner = std::move(e);
  }
  return inner;
}

// Strings that certainly read back as themselves when written plain: the common case (generated values,
// keys, units), decided without running the YAML emitter.
bool plainly_safe(const std::string& s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
          c == '[' || c == ']' || c == '/'))
      return false;
  if (s.size() > 5) return true;  // longer than any of the words below
  std::string lower;
  for (char c : s) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (const char* word : {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "nan", "inf"})
    if (lower == word) return false;
  return true;
}

// Plain YAML scalars when they read back as the same string, else a double-quoted (JSON) string.
std::string scalar(const Json& v) {
  if (!v.is_string()) return v.dump();
  const auto& s = v.get_ref<const std::string&>();
  if (plainly_safe(s)) return s;
  std::string plain = core::to_yaml(Json{{"k", s}});  // "k: <scalar>\n"
  plain = plain.substr(3, plain.size() - 4);
  if (plain.find('\n') == std::string::npos) return plain;
  return v.dump();
}

void emit(std::string& out, const Json& entry, int indent);

void emit_value(std::string& out, std::string_view key, const Json& v, int indent) {
  auto pad = [&] { out.append(static_cast<size_t>(indent), ' '); };
  if (v.is_array()) {
    pad();
    out += key;
    if (v.empty()) {
      out += ": []\n";
      return;
    }
    out += ":\n";
    for (const auto& item : v) {
      if (item.is_object() && !item.empty()) {
        size_t start = out.size();
        emit(out, item, indent + 2);
        out.replace(start + indent, 2, "- ");  // the first line of the item carries the dash
      } else {
        pad();
        out += "- ";
        out += item.is_object() ? "{}" : scalar(item);
        out += '\n';
      }
    }
  } else if (v.is_object()) {
    pad();
    out += key;
    if (v.empty()) {
      out += ": {}\n";
      return;
    }
    out += ":\n";
    emit(out, v, indent + 2);
  } else {
    pad();
    out += key;
    out += ": ";
    out += scalar(v);
    out += '\n';
  }
}

void emit(std::string& out, const Json& entry, int indent) {
  static constexpr std::string_view kOrder[] = {"key", "value", "rate_limit", "requests_per_unit", "unit", "descriptors"};
  const auto& map = entry.get_ref<const Json::object_t&>();
  size_t known = 0;
  for (std::string_view k : kOrder)
    if (auto it = map.find(k); it != map.end()) {
      emit_value(out, k, it->second, indent);
      ++known;
    }
  if (known == map.size()) return;  // the generated entries have no other keys
  for (const auto& [k, v] : map)
    if (std::find(std::begin(kOrder), std::end(kOrder), k) == std::end(kOrder)) emit_value(out, k, v, indent);
}

}  // namespace

std::vector<Json> rls_descriptors(const Evaluation& ev) {
  std::vector<Json> out;
  for (const auto& set : ev.sets) {
    for (const auto& d : set.descriptors) {
      if (!d.action.global() || !d.action.fill_interval) continue;
      const char* unit = unit_of(*d.action.fill_interval);
      if (!unit) continue;
      Json rate_limit = {{"unit", unit}};
      if (d.quota != 0) rate_limit["requests_per_unit"] = d.quota;
      uint32_t id = descriptor_id(d, ev.ns, ev.name);
      std::string value = "Service[" + ev.name + "." + ev.ns + "]-Id[" + std::to_string(id) + "]";
      if (!d.custom_key.empty()) {
        out.push_back(chain({{d.custom_key, d.custom_value}}, rate_limit));
        continue;
      }
      if (d.match.empty()) {
        out.push_back(chain({{"generic_key", value}}, rate_limit));
        continue;
      }
      const Matcher* separate = nullptr;
      for (const auto& m : d.match)
        if (m.source == MatchSource::kHead && !m.use_query_match && m.present_match_separate) {
          separate = &m;
          break;
        }
      if (separate) {
        std::string key = "RequestHeader[" + ev.name + "." + ev.ns + "]-Id[" + std::to_string(id) + "]";
        out.push_back(chain({{"generic_key", value}, {key, std::nullopt}}, rate_limit));
        continue;
      }
      bool query = false, header = false;
      const Matcher* ip = nullptr;
      std::vector<const Matcher*> body;
      for (const auto& m : d.match) {
        switch (m.source) {
          case MatchSource::kQuery: query = true; break;
          case MatchSource::kHead: (m.use_query_match ? query : header) = true; break;
          case MatchSource::kSourceIp: if (!ip) ip = &m; break;
          case MatchSource::kJsonBody: body.push_back(&m); break;
        }
      }
      std::vector<std::pair<std::string, std::optional<std::string>>> pairs;
      if (query) pairs.push_back({"query_match", value});
      if (header) pairs.push_back({"header_match", value});
      if (ip) {
        pairs.push_back({"generic_key", value});
        pairs.push_back({"remote_address", ip->exact_match});
      }
      if (!body.empty()) {
        if (!ip) pairs.push_back({"generic_key", value});
        for (auto* m : body) pairs.push_back({"body_match", m->exact_match});
      }
      out.push_back(chain(pairs, rate_limit));
    }
  }
  return out;
}

std::optional<std::pair<std::string, std::string>> generated_owner(std::string_view value) {
  constexpr std::string_view kPrefix = "Service[";
  if (!value.starts_with(kPrefix)) return std::nullopt;
  auto close = value.find("]-Id[");
  if (close == std::string_view::npos || !value.ends_with("]")) return std::nullopt;
  std::string_view id = value.substr(close + 5, value.size() - close - 6);
  if (id.empty() || id.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  std::string_view svc = value.substr(kPrefix.size(), close - kPrefix.size());
  auto dot = svc.rfind('.');  // namespaces have no dots; names may
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == svc.size()) return std::nullopt;
  return std::pair<std::string, std::string>{std::string(svc.substr(dot + 1)), std::string(svc.substr(0, dot))};
}

std::string rls_config_yaml(const std::string& domain, std::vector<Json> descriptors) {
  auto value_of = [](const Json& j) -> std::string_view {
    auto it = j.find("value");
    return it != j.end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>()) : std::string_view();
  };
  std::stable_sort(descriptors.begin(), descriptors.end(),
                   [&](const Json& a, const Json& b) { return value_of(a) < value_of(b); });
  std::string out = "domain: " + scalar(Json(domain)) + "\n";
  if (!descriptors.empty()) emit_value(out, "descriptors", Json(std::move(descriptors)), 0);
  return out;
}

}  // namespace slime::limiter

#include "slime/modules/plugin/code_source.h"

#include <cctype>

#include "slime/modules/plugin/json_util.h"

namespace slime::plugin {
namespace {

constexpr const char* kNilSha256 = "nil";

struct SplitUrl {
  std::string scheme;  // lowercased, empty when none
  std::string rest;    // everything after "scheme:"
};

// The scheme rules of Go's net/url: a letter, then letters, digits, '+', '-' or '.', then ':'.
core::Result<SplitUrl> split_scheme(const std::string& url) {
  for (unsigned char c : url)
    if (c < 0x20 || c == 0x7f || c == ' ') return core::fail("invalid character in URL \"" + url + "\"");
  for (size_t i = 0; i < url.size(); ++i) {
    auto c = static_cast<unsigned char>(url[i]);
    if (std::isalpha(c)) continue;
    if (std::isdigit(c) || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return core::fail("missing protocol scheme in URL \"" + url + "\"");
      SplitUrl s;
      for (size_t k = 0; k < i; ++k) s.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(url[k])));
      s.rest = url.substr(i + 1);
      return s;
    }
    break;
  }
  // No scheme: a colon in the first path segment would be ambiguous.
  size_t colon = url.find(':');
  if (colon != std::string::npos && colon < url.find('/'))
    return core::fail("first path segment in URL \"" + url + "\" cannot contain a colon");
  return SplitUrl{"", url};
}

}  // namespace

core::Result<DataSource> make_data_source(const std::string& url, const std::string& sha256) {
  auto split = split_scheme(url);
  if (!split) return std::unexpected(split.error());
  DataSource ds;
  if (split->scheme == "file") {
    std::string filename = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
    Json local = Json::object();
    if (!filename.empty()) local["filename"] = filename;
    ds.json = {{"local", std::move(local)}};
    return ds;
  }
  std::string uri;
  if (split->scheme.empty()) uri = url.rfind("//", 0) == 0 ? "oci:" + url : "oci://" + url;
  else uri = split->scheme + ":" + split->rest;
  ds.remote = true;
  ds.json = {{"remote",
              {{"httpUri", {{"uri", uri}, {"timeout", "30s"}, {"cluster", "_"}}},
               {"sha256", sha256.empty() ? kNilSha256 : sha256}}}};
  return ds;
}

std::string wasm_configuration_string(const std::optional<Json>& settings) {
  if (!settings) return "{}";
  if (settings->size() == 1) {
    auto it = settings->find("_string");
    if (it != settings->end() && it->is_string()) return it->get<std::string>();
  }
  return compact_json(*settings);
}

}  // namespace slime::plugin

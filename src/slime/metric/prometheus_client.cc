#include "slime/metric/prometheus_client.h"

#include <curl/curl.h>

#include <charconv>
#include <cmath>

#include "slime/core/json_depth.h"

namespace slime::metric {
namespace {

using core::Json;

void global_init_once() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

size_t append_body(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// A string member, or "" when absent or not a string (Json::value() would throw on a wrong type).
std::string string_member(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A sample value as the API sends it ("1.5", "NaN", "+Inf") -> a JSON number, or the string if not finite.
Json sample_value(const Json& v) {
  if (!v.is_string()) return v;
  const auto& s = v.get_ref<const std::string&>();
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec == std::errc() && end == s.data() + s.size() && std::isfinite(d)) return d;
  return s;
}

}  // namespace

core::Result<Json> parse_query_response(std::string_view body) {
  Json doc = core::parse_untrusted_json(body);
  if (doc.is_discarded() || !doc.is_object()) return core::fail("Prometheus answered with something that is not JSON (or nests deeper than 256 levels)");
  if (string_member(doc, "status") != "success") {
    std::string type = string_member(doc, "errorType");
    std::string error = string_member(doc, "error");
    return core::fail("Prometheus query failed: " + (type.empty() ? "" : type + ": ") + error);
  }
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) return core::fail("Prometheus answer has no data");
  std::string type = string_member(*data, "resultType");
  auto result = data->find("result");
  if (result == data->end()) return core::fail("Prometheus answer has no data.result");
  Json out = Json::array();
  if (type == "vector") {
    if (!result->is_array()) return core::fail("data.result of a vector is not a list");
    for (const Json& s : *result) {
      if (!s.is_object() || !s.contains("value") || !s["value"].is_array() || s["value"].size() != 2)
        return core::fail("malformed sample in data.result");
      auto metric = s.find("metric");
      out.push_back({{"metric", metric != s.end() && metric->is_object() ? *metric : Json::object()},
                     {"value", sample_value(s["value"][1])}});
    }
  } else if (type == "scalar") {
    if (!result->is_array() || result->size() != 2) return core::fail("malformed scalar in data.result");
    out.push_back({{"metric", Json::object()}, {"value", sample_value((*result)[1])}});
  } else {
    return core::fail("unsupported result type \"" + type + "\" (an instant query gives a vector or a scalar)");
  }
  return out;
}

PrometheusClient::PrometheusClient(PrometheusOptions options) : options_(std::move(options)) {
  global_init_once();
  while (!options_.address.empty() && options_.address.back() == '/') options_.address.pop_back();
}

PrometheusClient::~PrometheusClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

core::Result<std::string> PrometheusClient::get(const std::string& url) {
  if (!curl_) curl_ = curl_easy_init();
  CURL* curl = static_cast<CURL*>(curl_);
  if (!curl) return core::fail("cannot initialise libcurl");
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) return core::fail("GET " + url + ": " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  // 400/422/503 carry a JSON error body that says more than the status code.
  if (status != 200 && body.find("\"error\"") == std::string::npos)
    return core::fail("GET " + url + ": HTTP " + std::to_string(status));
  return body;
}

core::Result<Json> PrometheusClient::query(std::string_view promql,
                                           std::optional<std::chrono::system_clock::time_point> time) {
  if (options_.address.empty()) return core::fail("no Prometheus address configured (metric.prometheus.address)");
  std::lock_guard lock(mutex_);
  if (!curl_) curl_ = curl_easy_init();
  char* escaped = curl_easy_escape(static_cast<CURL*>(curl_), promql.data(), static_cast<int>(promql.size()));
  if (!escaped) return core::fail("cannot encode the query");
  std::string url = options_.address + "/api/v1/query?query=" + escaped;
  curl_free(escaped);
  if (time) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time->time_since_epoch()).count();
    url += "&time=" + std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1);
  }
  auto body = get(url);
  if (!body) return std::unexpected(body.error());
  auto parsed = parse_query_response(*body);
  if (!parsed) {
    core::Error e = std::move(parsed.error());
    e.message += " (query: " + std::string(promql) + ")";
    return std::unexpected(std::move(e));
  }
  return parsed;
}

}  // namespace slime::metric

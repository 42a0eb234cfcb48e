#include "slime/metric/fixture.h"

#include <fstream>
#include <sstream>

#include "slime/core/yaml.h"

namespace slime::metric {
namespace {

constexpr size_t kMaxFixtureBytes = 16 << 20;

bool is_number_text(const std::string& s) {
  if (s == "NaN" || s == "+Inf" || s == "Inf" || s == "-Inf") return true;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

// One answer in the instant-vector form modules read ({metric, value} samples).
core::Result<core::Json> answer(const core::Json& v) {
  auto sample = [](core::Json value) {
    return core::Json::array({core::Json{{"metric", core::Json::object()}, {"value", std::move(value)}}});
  };
  if (v.is_null()) return core::Json::array();
  if (v.is_number()) return sample(v);
  if (v.is_string()) {
    if (!is_number_text(v.get<std::string>()))
      return core::fail("expected a number, \"NaN\", \"+Inf\", a list of samples or [], got '" + v.get<std::string>() + "'");
    return sample(v);
  }
  if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      const auto& s = v[i];
      bool ok = s.is_object() && s.contains("value") &&
                (s["value"].is_number() || (s["value"].is_string() && is_number_text(s["value"].get<std::string>()))) &&
                (!s.contains("metric") || s["metric"].is_object());
      if (!ok) return core::fail("expected samples {metric: {label: value}, value: number}", "[" + std::to_string(i) + "]");
    }
    return v;
  }
  return core::fail("expected a number, \"NaN\", a list of samples or [], got an object");
}

}  // namespace

const core::Json* MetricFixture::get(const core::MetricRequest& request) const {
  const core::Json* v = answers_.get(request);
  if (!v) {
    std::lock_guard lock(mu_);
    unanswered_.insert(request.query);
  }
  return v;
}

std::vector<std::string> MetricFixture::unanswered() const {
  std::lock_guard lock(mu_);
  return {unanswered_.begin(), unanswered_.end()};
}

core::Result<MetricFixture> MetricFixture::parse(const core::Json& doc, std::string_view file) {
  MetricFixture f;
  if (doc.is_null()) return f;
  if (!doc.is_object()) {
    core::Error e;
    e.file = file;
    e.message = "expected a mapping of PromQL query to value";
    return std::unexpected(std::move(e));
  }
  for (const auto& [query, value] : doc.items()) {
    auto a = answer(value);
    if (!a) {
      core::Error e = std::move(a.error());
      e.file = file;
      e.field = "'" + query + "'" + e.field;
      return std::unexpected(std::move(e));
    }
    f.answers_.set({"prometheus", query}, std::move(*a));
  }
  return f;
}

core::Result<MetricFixture> MetricFixture::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::fail("cannot read metric fixture " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = std::move(ss).str();
  if (text.size() > kMaxFixtureBytes) return core::fail("metric fixture " + path + " is larger than 16 MiB");
  auto doc = core::parse_yaml(text, path);
  if (!doc) return std::unexpected(doc.error());
  return parse(*doc, path);
}

}  // namespace slime::metric

#include "slime/runtime/metrics.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace slime::runtime {
namespace {

std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string labels_text(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += labels[i].first + "=\"" + escape(labels[i].second) + "\"";
  }
  return out + "}";
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

const char* type_name(Metrics::Type t) {
  switch (t) {
    case Metrics::Type::kCounter: return "counter";
    case Metrics::Type::kGauge: return "gauge";
    case Metrics::Type::kSummary: return "summary";
  }
  return "untyped";
}

}  // namespace

void Metrics::describe(const std::string& name, Type type, const std::string& help) {
  std::lock_guard lock(mu_);
  auto& f = families_[name];
  f.type = type;
  f.help = help;
}

void Metrics::inc(const std::string& name, const Labels& labels, double v) {
  std::lock_guard lock(mu_);
  families_[name].values[labels] += v;
}

void Metrics::set(const std::string& name, const Labels& labels, double v) {
  std::lock_guard lock(mu_);
  families_[name].values[labels] = v;
}

void Metrics::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  auto& s = families_[name].summaries[labels];
  s.first += value;
  ++s.second;
}

void Metrics::add_collector(Collector c) {
  std::lock_guard lock(collect_mu_);
  collectors_.push_back(std::move(c));
}

double Metrics::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto v = f->second.values.find(labels);
  return v == f->second.values.end() ? 0 : v->second;
}

std::string Metrics::render() {
  {
    std::lock_guard lock(collect_mu_);
    for (auto& c : collectors_) c(*this);
  }
  std::lock_guard lock(mu_);
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    if (f.values.empty() && f.summaries.empty()) continue;
    if (!f.help.empty()) out << "# HELP " << name << " " << f.help << "\n";
    out << "# TYPE " << name << " " << type_name(f.type) << "\n";
    for (const auto& [labels, v] : f.values) out << name << labels_text(labels) << " " << number(v) << "\n";
    for (const auto& [labels, s] : f.summaries) {
      out << name << "_sum" << labels_text(labels) << " " << number(s.first) << "\n";
      out << name << "_count" << labels_text(labels) << " " << s.second << "\n";
    }
  }
  return out.str();
}

}  // namespace slime::runtime

#pragma once
// A small Prometheus registry: counters, gauges and summaries (sum/count) with labels, rendered in
// the text exposition format by hand (design.md: no packaged client library is needed for this).
// Collectors refresh pull-style values (queue depth, API request counts) right before rendering.
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace slime::runtime {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  enum class Type { kCounter, kGauge, kSummary };
  using Collector = std::function<void(Metrics&)>;

  void describe(const std::string& name, Type type, const std::string& help);
  void inc(const std::string& name, const Labels& labels = {}, double v = 1);
  void set(const std::string& name, const Labels& labels, double v);
  void observe(const std::string& name, const Labels& labels, double value);
  void add_collector(Collector c);

  double value(const std::string& name, const Labels& labels = {}) const;  // for tests
  std::string render();

 private:
  struct Family {
    Type type = Type::kGauge;
    std::string help;
    std::map<Labels, double> values;               // counters and gauges
    std::map<Labels, std::pair<double, uint64_t>> summaries;  // sum, count
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<Collector> collectors_;
  std::mutex collect_mu_;
};

}  // namespace slime::runtime

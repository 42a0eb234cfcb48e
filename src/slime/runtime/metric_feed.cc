#include "slime/runtime/metric_feed.h"

#include <spdlog/spdlog.h>

#include "slime/core/json_diff.h"

namespace slime::runtime {

MetricFeed::MetricFeed(QueryFn query, std::chrono::milliseconds period) : query_(std::move(query)), period_(period) {}

bool MetricFeed::ask(const core::MetricRequest& request) {
  auto now = std::chrono::steady_clock::now();
  ++stats_.queries;
  // The network call runs without the lock: workers and the ticker may ask different queries at once.
  auto answer = query_(request.query);
  if (!answer) ++stats_.failures;
  std::lock_guard lock(mu_);
  Entry& e = entries_[request];
  e.asked = now;
  if (!answer) {
    // Once per failing streak at warning level: a down Prometheus must not flood the log every tick.
    if (!e.failing) spdlog::warn("metric query failed query=\"{}\" error=\"{}\"", request.query, answer.error().str());
    else spdlog::debug("metric query still failing query=\"{}\" error=\"{}\"", request.query, answer.error().str());
    e.failing = true;
    bool had = e.value.has_value();
    e.value.reset();
    return had;
  }
  if (e.failing) spdlog::info("metric query answers again query=\"{}\"", request.query);
  e.failing = false;
  if (e.value && core::json_equal(*e.value, *answer)) return false;
  e.value = std::move(*answer);
  return true;
}

metric::MetricCache MetricFeed::answers(const std::vector<core::MetricRequest>& requests) {
  std::vector<const core::MetricRequest*> to_ask;
  {
    std::lock_guard lock(mu_);
    auto now = std::chrono::steady_clock::now();
    for (const auto& r : requests) {
      if (r.source != "prometheus") continue;  // the only source this feed answers
      auto it = entries_.find(r);
      bool never = it == entries_.end();
      bool failed_long_ago = !never && !it->second.value && now - it->second.asked >= period_;
      if (never || failed_long_ago) to_ask.push_back(&r);
    }
  }
  for (const auto* r : to_ask) ask(*r);
  metric::MetricCache out;
  std::lock_guard lock(mu_);
  for (const auto& r : requests)
    if (auto it = entries_.find(r); it != entries_.end() && it->second.value) out.set(r, *it->second.value);
  return out;
}

std::set<core::MetricRequest> MetricFeed::refresh(const std::set<core::MetricRequest>& live) {
  ++stats_.rounds;
  {
    std::lock_guard lock(mu_);
    std::erase_if(entries_, [&](const auto& e) { return !live.count(e.first); });
  }
  std::set<core::MetricRequest> changed;
  for (const auto& r : live)
    if (r.source == "prometheus" && ask(r)) changed.insert(r);
  return changed;
}

}  // namespace slime::runtime

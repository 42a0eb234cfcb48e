#include "slime/runtime/work_queue.h"

#include <algorithm>

namespace slime::runtime {

void WorkQueue::add_locked(const std::string& key) {
  if (shutdown_ || dirty_.count(key)) return;
  dirty_.insert(key);
  ++stats_.adds;
  queued_at_.emplace(key, Clock::now());
  if (processing_.count(key)) return;  // done() queues it
  queue_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  add_locked(key);
}

void WorkQueue::add_after(const std::string& key, std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  if (shutdown_) return;
  if (delay.count() <= 0) {
    add_locked(key);
    return;
  }
  delayed_.emplace(Clock::now() + delay, key);
  cv_.notify_one();
}

std::chrono::milliseconds WorkQueue::backoff(int failures) const {
  // Doubling stops at the cap, so a key failing for days never overflows.
  auto delay = opts_.base_delay;
  for (int i = 0; i < failures && delay < opts_.max_delay; ++i) delay *= 2;
  return std::min(delay, opts_.max_delay);
}

void WorkQueue::add_rate_limited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    int n = failures_[key]++;
    ++stats_.retries;
    delay = backoff(n);
  }
  add_after(key, delay);
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int WorkQueue::failures(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shutdown_) return std::nullopt;
    auto now = Clock::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      std::string k = delayed_.begin()->second;
      delayed_.erase(delayed_.begin());
      add_locked(k);
    }
    if (!queue_.empty()) break;
    if (delayed_.empty()) cv_.wait(lock);
    else cv_.wait_until(lock, delayed_.begin()->first);
  }
  std::string key = std::move(queue_.front());
  queue_.pop_front();
  dirty_.erase(key);
  processing_.insert(key);
  auto now = Clock::now();
  if (auto it = queued_at_.find(key); it != queued_at_.end()) {
    stats_.wait_seconds_sum += std::chrono::duration<double>(now - it->second).count();
    ++stats_.wait_count;
    queued_at_.erase(it);
  }
  started_at_[key] = now;
  return key;
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (auto it = started_at_.find(key); it != started_at_.end()) {
    stats_.work_seconds_sum += std::chrono::duration<double>(Clock::now() - it->second).count();
    ++stats_.work_count;
    started_at_.erase(it);
  }
  if (dirty_.count(key)) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::shutdown() {
  std::lock_guard lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

size_t WorkQueue::depth() const {
  std::lock_guard lock(mu_);
  return queue_.size() + delayed_.size();
}

size_t WorkQueue::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size() + delayed_.size() + processing_.size();
}

WorkQueue::Stats WorkQueue::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace slime::runtime

#pragma once
// Client-side token bucket (like client-go's QPS/Burst). Off by default: modern servers apply
// priority-and-fairness themselves, and a client-side cap mostly slows startup lists down.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

namespace slime::kube {

class QpsLimiter {
 public:
  QpsLimiter(double qps, int burst) : qps_(qps), burst_(std::max(1, burst)), tokens_(burst_) {}

  void wait() {
    if (qps_ <= 0) return;
    std::unique_lock lock(mu_);
    for (;;) {
      auto now = std::chrono::steady_clock::now();
      double elapsed = std::chrono::duration<double>(now - last_).count();
      last_ = now;
      tokens_ = std::min<double>(burst_, tokens_ + elapsed * qps_);
      if (tokens_ >= 1) {
        tokens_ -= 1;
        return;
      }
      double wait_s = (1 - tokens_) / qps_;
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::duration<double>(wait_s));
      lock.lock();
    }
  }

 private:
  double qps_;
  int burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::mutex mu_;
};

}  // namespace slime::kube

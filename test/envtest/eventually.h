#pragma once
// Polls a condition until it holds or a timeout passes: the envtest programs wait on a real apiserver and
// a real controller, which converge in their own time.
#include <chrono>
#include <functional>
#include <thread>

namespace slime::testing {

inline bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

}  // namespace slime::testing

#include "slime/runtime/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <vector>
#include <thread>

namespace slime::runtime {
namespace {

TEST(WorkQueue, DeduplicatesWaitingKeys) {
  WorkQueue q;
  q.add("a");
  q.add("a");
  q.add("b");
  EXPECT_EQ(q.depth(), 2u);
  EXPECT_EQ(q.get(), "a");
  EXPECT_EQ(q.get(), "b");
}

TEST(WorkQueue, KeyAddedWhileProcessingIsRequeuedAfterDoneNotHandedOutTwice) {
  WorkQueue q;
  q.add("a");
  auto k = q.get();
  ASSERT_EQ(k, "a");
  q.add("a");  // a change arrives while a worker holds "a"
  EXPECT_EQ(q.depth(), 0u) << "must not be available to a second worker yet";
  EXPECT_EQ(q.pending(), 1u);
  q.done("a");
  EXPECT_EQ(q.depth(), 1u);
  EXPECT_EQ(q.get(), "a");
  q.done("a");
  EXPECT_EQ(q.pending(), 0u);
}

TEST(WorkQueue, BackoffGrowsExponentiallyUpToTheCapAndForgetResets) {
  WorkQueue q({std::chrono::milliseconds(1), std::chrono::milliseconds(8)});
  for (int i = 0; i < 6; ++i) {
    q.add_rate_limited("k");
    auto k = q.get();  // blocks for the delay
    ASSERT_EQ(k, "k");
    q.done("k");
  }
  EXPECT_EQ(q.failures("k"), 6);
  EXPECT_EQ(q.backoff(0), std::chrono::milliseconds(1));
  EXPECT_EQ(q.backoff(3), std::chrono::milliseconds(8));
  EXPECT_EQ(q.backoff(4), std::chrono::milliseconds(8));
  EXPECT_EQ(q.backoff(1000000), std::chrono::milliseconds(8));
  EXPECT_EQ(q.stats().retries, 6u);
  q.forget("k");
  EXPECT_EQ(q.failures("k"), 0);
}

TEST(WorkQueue, DelayedKeyIsNotReadyBeforeItsTime) {
  WorkQueue q;
  q.add_after("later", std::chrono::milliseconds(200));
  q.add("now");
  EXPECT_EQ(q.get(), "now");
  q.done("now");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(q.get(), "later");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(150));
}

TEST(WorkQueue, ShutdownWakesBlockedWorkers) {
  WorkQueue q;
  std::atomic<int> ended{0};
  std::thread t1([&] {
    EXPECT_FALSE(q.get().has_value());
    ++ended;
  });
  std::thread t2([&] {
    EXPECT_FALSE(q.get().has_value());
    ++ended;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  q.shutdown();
  t1.join();
  t2.join();
  EXPECT_EQ(ended, 2);
  q.add("after");  // ignored, never crashes
  EXPECT_EQ(q.depth(), 0u);
}

TEST(WorkQueue, ManyProducersAndWorkersProcessEveryKeyAndNoKeyConcurrently) {
  WorkQueue q;
  std::mutex mu;
  std::set<std::string> in_flight, seen;
  bool overlap = false;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&] {
      while (auto k = q.get()) {
        {
          std::lock_guard lock(mu);
          overlap |= !in_flight.insert(*k).second;
          seen.insert(*k);
        }
        std::this_thread::yield();
        {
          std::lock_guard lock(mu);
          in_flight.erase(*k);
        }
        q.done(*k);
      }
    });
  for (int i = 0; i < 2000; ++i) q.add("k" + std::to_string(i % 50));
  while (q.pending() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  q.shutdown();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap);
  EXPECT_EQ(seen.size(), 50u);
}

}  // namespace
}  // namespace slime::runtime

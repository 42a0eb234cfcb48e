#pragma once
// A rate-limited work queue of reconcile keys with client-go's guarantees:
//  - dedup: a key waiting in the queue is there once, however often it is added;
//  - exclusivity: a key being processed is not handed to another worker; if it is added meanwhile it
//    is queued again when the worker calls done(), so no change is lost;
//  - per-key exponential backoff for failures (base * 2^n, capped), reset by forget(), so a broken
//    object is retried ever more slowly instead of spinning.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace slime::runtime {

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::milliseconds base_delay{10};
    std::chrono::milliseconds max_delay{60000};
  };
  struct Stats {
    uint64_t adds = 0;             // add() calls that queued something new
    uint64_t retries = 0;          // add_rate_limited() calls
    double wait_seconds_sum = 0;   // time keys spent queued before a worker took them
    uint64_t wait_count = 0;
    double work_seconds_sum = 0;   // time between get() and done()
    uint64_t work_count = 0;
  };

  WorkQueue() : WorkQueue(Options{}) {}
  explicit WorkQueue(Options opts) : opts_(opts) {}

  void add(const std::string& key);
  void add_after(const std::string& key, std::chrono::milliseconds delay);
  // Re-adds after this key's current backoff and grows it.
  void add_rate_limited(const std::string& key);
  // The key succeeded: its backoff starts from base_delay again.
  void forget(const std::string& key);
  int failures(const std::string& key) const;
  // The delay after `failures` consecutive failures: base * 2^failures, capped at max_delay.
  std::chrono::milliseconds backoff(int failures) const;

  // Blocks until a key is ready; nullopt once shut down.
  std::optional<std::string> get();
  void done(const std::string& key);
  void shutdown();

  size_t depth() const;    // keys ready or waiting for their delay
  size_t pending() const;  // depth() plus keys being processed: 0 means all work is done
  Stats stats() const;

 private:
  void add_locked(const std::string& key);

  Options opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> dirty_;       // queued, or re-added while processing
  std::set<std::string> processing_;
  std::multimap<Clock::time_point, std::string> delayed_;
  std::map<std::string, Clock::time_point> queued_at_;
  std::map<std::string, Clock::time_point> started_at_;
  std::map<std::string, int> failures_;
  bool shutdown_ = false;
  Stats stats_;
};

}  // namespace slime::runtime

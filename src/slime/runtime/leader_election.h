#pragma once
// Lease-based leader election (coordination.k8s.io/v1), following client-go's algorithm: a lease
// held by someone else counts as expired only after it has not changed for leaseDuration as seen by
// this replica's own clock (no cross-node clock comparison). The leader renews every retryPeriod
// and steps down when it could not renew for renewDeadline. While leading, the replica's own pod
// carries the label slime.io/leader=true (the original's `<name>-leader` Service selects it).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "slime/kube/client.h"

namespace slime::runtime {

struct LeaderElectionOptions {
  std::string lease_namespace = "default";
  std::string lease_name = "slime";
  std::string identity;  // unique per replica: <hostname>_<random>
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  std::string pod_namespace, pod_name;  // label target; empty = no labelling
  bool release_on_stop = true;  // false only in tests that simulate a crashed leader
};

inline constexpr const char* kLeaderLabel = "slime.io/leader";

class LeaderElector {
 public:
  LeaderElector(kube::Client& client, LeaderElectionOptions opts, std::function<void()> on_started_leading,
                std::function<void()> on_stopped_leading);
  ~LeaderElector();

  void start();
  // Stops; a leader releases the lease so a standby takes over at once instead of after expiry.
  void stop();
  bool leading() const { return leading_.load(); }
  const std::string& identity() const { return opts_.identity; }

 private:
  void run();
  bool try_acquire_or_renew();
  void label_pod(bool leader);
  void sleep(std::chrono::milliseconds d);

  kube::Client& client_;
  LeaderElectionOptions opts_;
  std::function<void()> on_started_, on_stopped_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> leading_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;

  // What we last saw of the lease and when (our clock): the expiry basis.
  std::string observed_holder_;
  std::string observed_record_;
  std::chrono::steady_clock::time_point observed_at_{};
  std::chrono::steady_clock::time_point last_renew_{};
};

// "<hostname>_<16 hex digits>"
std::string default_identity();

}  // namespace slime::runtime

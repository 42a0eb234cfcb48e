#include "slime/runtime/leader_election.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace slime::runtime {
namespace {

using core::Json;
const core::Gvk kLease{"coordination.k8s.io", "v1", "Lease"};
const core::Gvk kPod{"", "v1", "Pod"};

// metav1.MicroTime
std::string micro_time_now() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - secs).count();
  std::time_t t = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, "%06d", static_cast<int>(micros % 1000000));
  return std::string(buf) + "." + frac + "Z";
}

}  // namespace

std::string default_identity() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  std::random_device rd;
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08x%08x", rd(), rd());
  return std::string(host) + "_" + suffix;
}

LeaderElector::LeaderElector(kube::Client& client, LeaderElectionOptions opts, std::function<void()> on_started,
                             std::function<void()> on_stopped)
    : client_(client), opts_(std::move(opts)), on_started_(std::move(on_started)), on_stopped_(std::move(on_stopped)) {
  if (opts_.identity.empty()) opts_.identity = default_identity();
}

LeaderElector::~LeaderElector() { stop(); }

void LeaderElector::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::sleep(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [&] { return stop_.load(); });
}

void LeaderElector::stop() {
  stop_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::try_acquire_or_renew() {
  auto now_steady = std::chrono::steady_clock::now();
  std::string now = micro_time_now();
  long duration_s = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(opts_.lease_duration).count());
  auto got = client_.get(kLease, opts_.lease_namespace, opts_.lease_name);
  if (!got) {
    if (!got.error().not_found()) {
      spdlog::debug("lease get failed error=\"{}\"", got.error().str());
      return false;
    }
    core::Object lease("coordination.k8s.io/v1", "Lease", opts_.lease_namespace, opts_.lease_name);
    lease.json()["spec"] = {{"holderIdentity", opts_.identity}, {"leaseDurationSeconds", duration_s},
                            {"acquireTime", now},           {"renewTime", now},
                            {"leaseTransitions", 0}};
    auto created = client_.create(lease);
    if (!created) return false;  // somebody else created it first
    observed_holder_ = opts_.identity;
    observed_record_ = created->json()["spec"].dump();
    observed_at_ = now_steady;
    return true;
  }
  core::Object lease = *got;
  Json spec = lease.spec().is_object() ? lease.spec() : Json::object();
  std::string holder = spec.value("holderIdentity", "");
  std::string record = spec.dump();
  if (record != observed_record_) {
    observed_record_ = record;
    observed_holder_ = holder;
    observed_at_ = now_steady;
  }
  long their_duration = spec.value("leaseDurationSeconds", duration_s);
  bool held_by_other = !holder.empty() && holder != opts_.identity;
  if (held_by_other && now_steady < observed_at_ + std::chrono::seconds(their_duration)) return false;

  Json new_spec = spec;
  new_spec["holderIdentity"] = opts_.identity;
  new_spec["leaseDurationSeconds"] = duration_s;
  new_spec["renewTime"] = now;
  if (holder != opts_.identity) {
    new_spec["acquireTime"] = now;
    new_spec["leaseTransitions"] = spec.value("leaseTransitions", 0) + 1;
  }
  lease.json()["spec"] = new_spec;
  // PUT with the resourceVersion we read: of two candidates racing for an expired lease, one gets 409.
  auto updated = client_.update(lease);
  if (!updated) return false;
  observed_holder_ = opts_.identity;
  observed_record_ = updated->json()["spec"].dump();
  observed_at_ = now_steady;
  return true;
}

void LeaderElector::label_pod(bool leader) {
  if (opts_.pod_name.empty()) return;
  Json patch = {{"metadata", {{"labels", {{kLeaderLabel, leader ? Json("true") : Json(nullptr)}}}}}};
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto r = client_.merge_patch(kPod, opts_.pod_namespace, opts_.pod_name, patch);
    if (r || r.error().not_found()) return;
    spdlog::warn("cannot label pod {}/{} error=\"{}\"", opts_.pod_namespace, opts_.pod_name, r.error().str());
    sleep(std::chrono::seconds(1));
    if (stop_ && leader) return;
  }
}

void LeaderElector::run() {
  spdlog::info("leader election started lease={}/{} identity={}", opts_.lease_namespace, opts_.lease_name,
               opts_.identity);
  while (!stop_) {
    bool ok = false;
    try {
      ok = try_acquire_or_renew();
    } catch (const core::Json::exception& e) {  // a Lease someone wrote with odd field types
      spdlog::warn("unreadable lease {}/{} error=\"{}\"", opts_.lease_namespace, opts_.lease_name, e.what());
    }
    auto now = std::chrono::steady_clock::now();
    if (ok) {
      last_renew_ = now;
      if (!leading_.exchange(true)) {
        spdlog::info("became leader identity={}", opts_.identity);
        label_pod(true);
        if (on_started_) on_started_();
      }
    } else if (leading_ && now - last_renew_ > opts_.renew_deadline) {
      spdlog::warn("leadership lost: lease not renewed within {} ms", opts_.renew_deadline.count());
      leading_ = false;
      label_pod(false);
      if (on_stopped_) on_stopped_();
    }
    sleep(opts_.retry_period);
  }
  if (leading_ && !opts_.release_on_stop) {
    leading_ = false;  // a simulated crash: the lease stays as it was, like after kill -9
    return;
  }
  if (leading_) {
    // Release: an empty holder with a 1 s duration lets a standby take over right away.
    auto got = client_.get(kLease, opts_.lease_namespace, opts_.lease_name);
    const core::Json* holder = got && got->spec().is_object() && got->spec().contains("holderIdentity")
                                   ? &got->spec()["holderIdentity"]
                                   : nullptr;
    if (holder && holder->is_string() && holder->get<std::string>() == opts_.identity) {
      core::Object lease = *got;
      lease.json()["spec"]["holderIdentity"] = "";
      lease.json()["spec"]["leaseDurationSeconds"] = 1;
      (void)client_.update(lease);
    }
    leading_ = false;
    label_pod(false);
    if (on_stopped_) on_stopped_();
  }
}

}  // namespace slime::runtime

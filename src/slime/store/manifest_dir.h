#pragma once
// The manifest directory as a cluster: `slime run --state-dir DIR` with no Kubernetes at all.
// Every YAML/JSON file under DIR is an object of the cluster; edits, additions and deletions are
// picked up while running (inotify, debounced, full rescan and diff). Whatever Slime writes goes to
// DIR/generated/<namespace>/<kind>_<name>.yaml (one readable file per object) and statuses of the
// user's objects to DIR/generated/status/...; both are read back at start, so they survive restarts.
#include <atomic>
#include <map>
#include <set>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "slime/store/cluster.h"

namespace slime::store {

class ManifestDirCluster final : public Cluster {
 public:
  explicit ManifestDirCluster(std::string dir);
  ~ManifestDirCluster() override;

  core::Result<void> start(const std::set<core::GroupKind>& kinds) override;
  bool wait_synced(std::chrono::milliseconds) override { return started_; }
  void stop() override;
  SharedStore& store() override { return store_; }

  core::Result<void> apply(const core::Object& desired) override;
  core::Result<void> remove(const core::Object& existing) override;
  core::Result<void> apply_status(const core::Object& target, const core::Json& status) override;
  void record_problem(const core::Object& regarding, const std::string& reason, const std::string& message) override;
  std::string describe() const override { return "manifest directory " + dir_; }
  std::vector<core::ObjectKey> written_by_slime() const override;

  // Problems found by the last scan (unparsable files, invalid objects), for logs and /debug.
  std::vector<core::Error> load_errors() const;
  // Problems modules reported, newest last (bounded).
  std::vector<std::string> problems() const;
  uint64_t rescans() const { return rescans_.load(); }

  // Where an object Slime writes is stored, relative to DIR.
  static std::string generated_path(const core::Object& obj);
  static std::string status_path(const core::Object& obj);

 private:
  void rescan();
  void watch_loop();
  void add_watches();  // every directory under dir_: in start(), then on the watcher thread
  core::Result<void> write_file(const std::string& rel, const std::string& text);
  void remove_file(const std::string& rel);

  std::string dir_;
  SharedStore store_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> rescans_{0};
  int inotify_fd_ = -1;
  std::map<int, std::string> wd_paths_;  // inotify watch descriptor -> directory
  std::thread watcher_;

  // Serializes rescans with writes, so a rescan never sees a half-applied write of ours.
  mutable std::mutex io_mu_;
  std::map<std::string, std::string> written_;  // absolute path -> content we last wrote (self-events)
  std::map<core::ObjectKey, core::Json> status_overlays_;
  std::set<core::ObjectKey> generated_keys_;  // objects that come from generated/ files
  std::vector<core::Error> load_errors_;
  std::vector<std::string> problems_;
};

}  // namespace slime::store

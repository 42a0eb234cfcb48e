#include "slime/store/manifest_dir.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "slime/core/json_diff.h"
#include "slime/core/yaml.h"
#include "slime/store/manifest_loader.h"

namespace slime::store {
namespace {

namespace fs = std::filesystem;
constexpr const char* kGenerated = "generated";
constexpr const char* kStatus = "generated/status";
constexpr size_t kMaxProblems = 200;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Names and namespaces are DNS labels in Kubernetes, but a manifest can say anything: keep file
// names to a safe alphabet so an object can never write outside generated/.
std::string safe(std::string s) {
  for (auto& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') c = '_';
  if (s.empty() || s == "." || s == "..") s = "_";
  return s;
}

std::string base_name(const core::Object& obj) {
  std::string kind = lower(obj.kind());
  auto gvk = obj.gvk();
  if (!gvk.group.empty()) kind += "." + gvk.group;
  return safe(obj.ns().empty() ? "_cluster" : obj.ns()) + "/" + safe(kind) + "_" + safe(obj.name()) + ".yaml";
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool under(const std::string& rel, const std::string& prefix) {
  return rel.size() > prefix.size() && rel.compare(0, prefix.size(), prefix) == 0 && rel[prefix.size()] == '/';
}

// Objects Slime itself keeps in generated files carry no resourceVersion or managed fields: the
// file is the whole truth, as a user would write it.
core::Json strip_server_fields(core::Json doc) {
  if (doc.is_object() && doc.contains("metadata") && doc["metadata"].is_object()) {
    auto& m = doc["metadata"];
    for (const char* k : {"resourceVersion", "managedFields", "uid", "creationTimestamp", "generation"}) m.erase(k);
  }
  return doc;
}

}  // namespace

ManifestDirCluster::ManifestDirCluster(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

ManifestDirCluster::~ManifestDirCluster() { stop(); }

std::string ManifestDirCluster::generated_path(const core::Object& obj) {
  return std::string(kGenerated) + "/" + base_name(obj);
}

std::string ManifestDirCluster::status_path(const core::Object& obj) {
  return std::string(kStatus) + "/" + base_name(obj);
}

core::Result<void> ManifestDirCluster::start(const std::set<core::GroupKind>&) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) return core::fail("state directory " + dir_ + " does not exist or is not a directory");
  fs::create_directories(fs::path(dir_) / kGenerated, ec);
  inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) return core::fail("inotify_init1 failed; edits would not be picked up");
  // Watch first, then read: an edit made between the two is then seen (at worst twice), never lost.
  add_watches();
  rescan();
  stop_ = false;
  watcher_ = std::thread([this] { watch_loop(); });
  started_ = true;
  return {};
}

void ManifestDirCluster::stop() {
  stop_ = true;
  if (watcher_.joinable()) watcher_.join();
  if (inotify_fd_ >= 0) {
    close(inotify_fd_);
    inotify_fd_ = -1;
  }
}

void ManifestDirCluster::rescan() {
  std::lock_guard io(io_mu_);
  ++rescans_;
  auto loaded = load_paths({dir_});
  std::map<core::ObjectKey, core::Object> user, generated;
  std::map<core::ObjectKey, core::Json> overlays;
  std::string prefix = dir_ + "/";
  for (auto& l : loaded.objects) {
    std::string rel = l.file.rfind(prefix, 0) == 0 ? l.file.substr(prefix.size()) : l.file;
    auto key = l.object.key();
    if (under(rel, kStatus)) {
      overlays[key] = l.object.status();
    } else if (under(rel, kGenerated)) {
      generated.insert_or_assign(key, std::move(l.object));
    } else {
      if (user.count(key)) {
        core::Error e;
        e.file = l.file;
        e.line = l.line;
        e.object = l.object.ref();
        e.message = "defined more than once; the last definition wins";
        loaded.errors.push_back(std::move(e));
      }
      user.insert_or_assign(key, std::move(l.object));
    }
  }
  generated_keys_.clear();
  for (auto& [k, o] : generated) generated_keys_.insert(k);
  // What Slime generated wins over a hand-written object of the same key: Slime would overwrite it.
  for (auto& [k, o] : generated) user.insert_or_assign(k, std::move(o));
  for (auto& [k, st] : overlays)
    if (auto it = user.find(k); it != user.end() && !st.is_null()) it->second.json()["status"] = st;
  status_overlays_ = std::move(overlays);
  load_errors_ = std::move(loaded.errors);

  for (const auto& old : store_.all())
    if (!user.count(old->key())) store_.remove(old->key());
  for (auto& [k, o] : user) store_.put(std::move(o));
}

void ManifestDirCluster::add_watches() {
  // Re-adding an existing watch returns the same descriptor, so this is idempotent.
  std::error_code ec;
  std::vector<std::string> dirs{dir_};
  for (auto it = fs::recursive_directory_iterator(dir_, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_directory(ec)) dirs.push_back(it->path().string());
  for (auto& d : dirs) {
    int wd = inotify_add_watch(inotify_fd_, d.c_str(),
                               IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF);
    if (wd >= 0) wd_paths_[wd] = d;
  }
}

void ManifestDirCluster::watch_loop() {
  auto& wd_paths = wd_paths_;
  alignas(inotify_event) char buf[16384];
  while (!stop_) {
    pollfd p{inotify_fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    bool relevant = false, new_dir = false;
    // Debounce: editors and `cp -r` produce bursts; collect them before one rescan.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
    while (std::chrono::steady_clock::now() < deadline) {
      ssize_t n = read(inotify_fd_, buf, sizeof buf);
      if (n <= 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      for (char* ptr = buf; ptr < buf + n;) {
        auto* ev = reinterpret_cast<inotify_event*>(ptr);
        ptr += sizeof(inotify_event) + ev->len;
        if (ev->mask & IN_ISDIR) {
          new_dir = true;
          relevant = true;
          continue;
        }
        if (ev->len == 0) continue;
        std::string name = ev->name;
        if (name.empty() || name[0] == '.') continue;  // our temp files, editor swap files
        auto dir = wd_paths.find(ev->wd);
        if (dir == wd_paths.end()) continue;
        std::string path = dir->second + "/" + name;
        if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
          // Our own writes come back as events; skip them when the file still has our content.
          std::lock_guard io(io_mu_);
          auto w = written_.find(path);
          if (w != written_.end()) {
            auto now = read_file(path);
            if (now && *now == w->second) continue;
          }
        } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
          std::lock_guard io(io_mu_);
          auto w = written_.find(path);
          if (w != written_.end() && w->second.empty()) continue;  // we deleted it
        }
        relevant = true;
      }
    }
    if (new_dir) add_watches();
    if (relevant) rescan();
  }
}

core::Result<void> ManifestDirCluster::write_file(const std::string& rel, const std::string& text) {
  fs::path full = fs::path(dir_) / rel;
  std::error_code ec;
  fs::create_directories(full.parent_path(), ec);
  fs::path tmp = full.parent_path() / ("." + full.filename().string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return core::fail("cannot write " + tmp.string());
    out << text;
    if (!out.flush()) return core::fail("cannot write " + tmp.string());
  }
  written_[full.string()] = text;
  // rename: readers (and a crash) see the old or the new file, never half of one.
  fs::rename(tmp, full, ec);
  if (ec) return core::fail("cannot rename " + tmp.string() + ": " + ec.message());
  return {};
}

void ManifestDirCluster::remove_file(const std::string& rel) {
  fs::path full = fs::path(dir_) / rel;
  written_[full.string()] = "";
  std::error_code ec;
  fs::remove(full, ec);
}

core::Result<void> ManifestDirCluster::apply(const core::Object& desired) {
  std::lock_guard io(io_mu_);
  core::Json doc = strip_server_fields(desired.json());
  // Keep the status this object already has (written by apply_status) when the desired one has none.
  if (!doc.contains("status"))
    if (auto it = status_overlays_.find(desired.key()); it != status_overlays_.end()) doc["status"] = it->second;
  if (auto r = write_file(generated_path(desired), core::to_yaml(doc)); !r) return r;
  generated_keys_.insert(desired.key());
  store_.put(core::Object(std::move(doc)));
  return {};
}

core::Result<void> ManifestDirCluster::remove(const core::Object& existing) {
  std::lock_guard io(io_mu_);
  remove_file(generated_path(existing));
  remove_file(status_path(existing));
  status_overlays_.erase(existing.key());
  generated_keys_.erase(existing.key());
  store_.remove(existing.key());
  return {};
}

core::Result<void> ManifestDirCluster::apply_status(const core::Object& target, const core::Json& status) {
  std::lock_guard io(io_mu_);
  // No resourceVersions here: the status the writer saw must still be the stored one.
  if (auto cur = store_.find(target.key()); cur && !core::json_equal(cur->status(), target.status()))
    return core::fail(target.ref() + ": conflict: the status changed since it was read");
  core::Json overlay = {{"apiVersion", target.api_version()},
                        {"kind", target.kind()},
                        {"metadata", {{"name", target.name()}}},
                        {"status", status}};
  if (!target.ns().empty()) overlay["metadata"]["namespace"] = target.ns();
  if (auto r = write_file(status_path(target), core::to_yaml(overlay)); !r) return r;
  status_overlays_[target.key()] = status;
  if (auto cur = store_.find(target.key())) {
    core::Object updated = *cur;
    updated.json()["status"] = status;
    store_.put(std::move(updated));
  }
  return {};
}

void ManifestDirCluster::record_problem(const core::Object& regarding, const std::string& reason,
                                        const std::string& message) {
  std::lock_guard io(io_mu_);
  problems_.push_back(regarding.ref() + ": " + reason + ": " + message);
  if (problems_.size() > kMaxProblems) problems_.erase(problems_.begin());
}

std::vector<core::ObjectKey> ManifestDirCluster::written_by_slime() const {
  std::lock_guard io(io_mu_);
  return {generated_keys_.begin(), generated_keys_.end()};
}

std::vector<core::Error> ManifestDirCluster::load_errors() const {
  std::lock_guard io(io_mu_);
  return load_errors_;
}

std::vector<std::string> ManifestDirCluster::problems() const {
  std::lock_guard io(io_mu_);
  return problems_;
}

}  // namespace slime::store

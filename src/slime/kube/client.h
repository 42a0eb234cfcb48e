#pragma once
// Typed-by-GVK REST client for the Kubernetes API: CRUD, status subresource, paginated list,
// server-side apply (field manager "slime"), Events, and the watch stream. Objects stay JSON
// (core::Object) end to end; the client never needs generated types.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/object.h"
#include "slime/kube/api_error.h"
#include "slime/kube/discovery.h"
#include "slime/kube/http_transport.h"
#include "slime/kube/qps_limiter.h"

namespace slime::kube {

inline constexpr const char* kFieldManager = "slime";

struct ListResult {
  std::vector<core::Object> items;
  std::string resource_version;  // the list's RV: where a following watch starts
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };

struct WatchEvent {
  WatchEventType type;
  core::Object object;
};

struct ListOptions {
  std::string ns;              // empty = all namespaces (or cluster-scoped)
  std::string label_selector;
  std::string field_selector;
  int page_size = 500;         // limit/continue chunking; 0 = no chunking
  // Ask for PartialObjectMetadata (metadata only, meta.k8s.io/v1): for kinds only their metadata is read
  // of. Objects still come back with the listed kind's apiVersion and kind.
  bool metadata_only = false;
  // Applied to each item as its page is read: an informer cuts objects down to what it caches here, so a
  // list of 10,000 EndpointSlices never holds them all whole at once (≈ 10 KB of tree each).
  std::function<void(core::Object&)> each = nullptr;
};

// Counts of API requests by verb and HTTP code (0 = transport failure), read by /metrics.
class RequestStats {
 public:
  void add(const std::string& verb, long code);
  std::map<std::pair<std::string, long>, uint64_t> snapshot() const;
  uint64_t total() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, long>, uint64_t> counts_;
};

class Client {
 public:
  // qps <= 0: unthrottled (the server's priority-and-fairness decides).
  explicit Client(ClusterConfig config, double qps = 0, int burst = 10);

  ApiResult<core::Object> get(const core::Gvk& gvk, const std::string& ns, const std::string& name);
  ApiResult<ListResult> list(const core::Gvk& gvk, const ListOptions& opts = {});
  ApiResult<core::Object> create(const core::Object& obj);
  // PUT: fails with 409 Conflict when metadata.resourceVersion is stale.
  ApiResult<core::Object> update(const core::Object& obj);
  ApiResult<core::Object> update_status(const core::Object& obj);
  ApiResult<void> remove(const core::Gvk& gvk, const std::string& ns, const std::string& name,
                         const std::string& propagation = "Background");
  // Server-side apply as field manager "slime". force=false surfaces field-ownership conflicts
  // (409) instead of taking the fields over.
  ApiResult<core::Object> apply(const core::Object& obj, bool force = true,
                                const std::string& field_manager = kFieldManager);
  ApiResult<core::Object> apply_status(const core::Object& obj, bool force = true,
                                       const std::string& field_manager = kFieldManager);
  // JSON merge patch (RFC 7386).
  ApiResult<core::Object> merge_patch(const core::Gvk& gvk, const std::string& ns, const std::string& name,
                                      const core::Json& patch, bool status = false);

  // One watch request from resource_version; calls on_event per event until the server closes the
  // stream (timeout_seconds), *cancel turns true, or on_event returns false. Returns the last
  // resourceVersion seen (bookmarks included). An expired resourceVersion is ApiError 410.
  // on_event may move the event's object out (it is not used after the call).
  ApiResult<std::string> watch(const core::Gvk& gvk, const ListOptions& opts, const std::string& resource_version,
                               const std::function<bool(WatchEvent&)>& on_event,
                               const std::atomic<bool>* cancel, int timeout_seconds = 300);

  // A core/v1 Event about `regarding` (type "Normal" or "Warning"), best effort.
  ApiResult<void> record_event(const core::Object& regarding, const std::string& type, const std::string& reason,
                               const std::string& message);

  ApiResult<ResourceInfo> resource(const core::Gvk& gvk) { return discovery_.resolve(gvk); }
  Discovery& discovery() { return discovery_; }
  const RequestStats& stats() const { return stats_; }
  const ClusterConfig& config() const { return http_.config(); }

  // "/apis/g/v/namespaces/ns/plural[/name]"
  ApiResult<std::string> path_for(const core::Gvk& gvk, const std::string& ns, const std::string& name = {});

 private:
  ApiResult<HttpResponse> call(const std::string& verb, HttpRequest req);
  ApiResult<core::Object> object_call(const std::string& verb, HttpRequest req);

  HttpTransport http_;
  Discovery discovery_;
  QpsLimiter limiter_;
  RequestStats stats_;
};

}  // namespace slime::kube

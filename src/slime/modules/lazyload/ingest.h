#pragma once
// Dependency ingestion (spec §5.10), pure: the live learning loop (Envoy access-log service, or the global
// sidecar proxy reporting calls) hands over batches of "source -> destination authority" events with the
// current snapshot, and gets back the new status of every ServiceFence whose learned dependencies changed.
// Writing those statuses is the caller's job; the fence reconcile then turns them into domains and Sidecars.
//
// State lives only in ServiceFence status.metricStatus (and, with a dependency TTL, status.metricLastSeen),
// so a restart loses nothing and several callers can share the work.
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/module.h"
#include "slime/core/snapshot.h"
#include "slime/modules/lazyload/config.h"

namespace slime::lazyload {

struct AccessEvent {
  // Who called: the downstream address (IP, port optional) as the global sidecar saw it, and/or the source
  // directly as "ns/name" of its Service or workload fence when the reporter already knows it.
  std::string source_ip;
  std::string source;
  // Envoy's upstream_cluster of the log entry when known; entries that are not the global sidecar's inbound
  // ones ("inbound|port||") are ignored, as the original does. Empty: not checked.
  std::string upstream_cluster;
  std::string authority;  // request authority, host[:port]
  std::chrono::system_clock::time_point at{};
};

// Pod IP -> the Services (Endpoints, ready and not ready) and the workload fence it belongs to.
class SourceIndex {
 public:
  static SourceIndex build(const core::Snapshot& snapshot, const FenceConfig& config);

  // "ns/name" of every Service whose Endpoints list `ip`, sorted; null when none.
  const std::set<std::string>* services_of(std::string_view ip) const;
  // "ns/name" of the workload fence of the pod with `ip`; null when none.
  const std::string* workload_fence_of(std::string_view ip) const;
  // Whether Service ns/name has Endpoints (svcToIps in the original).
  bool has_endpoints(std::string_view ns, std::string_view name) const;

 private:
  std::map<std::string, std::set<std::string>, std::less<>> ip_to_svc_;
  std::map<std::string, std::string, std::less<>> ip_to_fence_;
  std::set<std::string, std::less<>> svc_with_endpoints_;
};

// The destinations recorded for one authority (§5.10 steps 4-5): the normalised host, plus the raw one with
// enableShortDomain. Empty when the authority is an IP address or empty. `source_ns` expands short names.
std::vector<std::string> normalise_destination(std::string_view authority, std::string_view source_ns,
                                               const SourceIndex& index, bool enable_short_domain);

struct IngestStats {
  size_t events = 0;
  size_t recorded = 0;              // (source, destination) pairs produced
  size_t skipped_no_source = 0;     // source IP maps to no Service and no workload fence
  size_t skipped_cluster = 0;       // not an inbound entry of the global sidecar
  size_t skipped_destination = 0;   // IP address or empty authority
  size_t skipped_no_fence = 0;      // the source has no ServiceFence (nothing to record into)
  size_t skipped_not_mesh = 0;      // a host that is no mesh Service and matches no domain alias
  size_t dropped_at_cap = 0;        // new hosts not recorded: the fence holds maxLearnedHostsPerFence already
};

struct IngestResult {
  std::vector<core::StatusUpdate> statuses;  // the complete new .status of each changed fence, ordered by key
  IngestStats stats;
  std::vector<core::ObjectKey> capped_fences;  // fences that refused a new host at the cap in this batch
};

// Whether a destination host may be learned: a mesh Service (name.ns, name.ns.svc or
// name.ns.svc.cluster.local of a Service in the snapshot) or a host a configured domain alias matches.
// Anything else is a name a caller made up, and learning it would only grow the fence.
bool learnable_host(std::string_view host, const core::Snapshot& snapshot, const FenceConfig& config);

// Folds a batch into the fences' status.metricStatus: new keys `{destination_service="<host>"}` of
// learnable hosts are added, up to config.max_learned_hosts per fence, with the number of times they occur in the batch; existing keys keep their value (the original never
// updates counts). With config.dependency_ttl, each key's last-seen time is tracked in status.metricLastSeen
// (refreshed at most every tenth of the TTL, to keep status writes rare) and keys idle for longer than the
// TTL at `now` are dropped.
IngestResult ingest(const core::Snapshot& snapshot, const FenceConfig& config, const SourceIndex& index,
                    std::span<const AccessEvent> events, std::chrono::system_clock::time_point now);

// Empties the learned dependencies of fence ns/name, or of every fence in `ns` when `name` is empty (the
// original's /debug/svfReset). Returns the new statuses.
std::vector<core::StatusUpdate> reset_learned(const core::Snapshot& snapshot, std::string_view ns,
                                              std::string_view name);

}  // namespace slime::lazyload

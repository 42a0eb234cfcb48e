#pragma once
// The dependency graph Slime knows, built from cached objects only (no I/O, no clock: `now` is given):
// - nodes: every Service (grouped by namespace), the workload fences without a Service, the hosts a fence
//   depends on that are no Service of the mesh, and `ns/*` namespace dependencies;
// - edges: a ServiceFence's dependencies, static (spec.host) or learned (status.metricStatus), with their
//   state in status.domains, when they were last seen (status.metricLastSeen, kept with a dependency TTL)
//   and when they expire;
// - per workload (ServiceFence): the size of its Sidecar against the mesh, and the share of the mesh's
//   Services its Sidecar no longer lets it receive.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/error.h"
#include "slime/core/snapshot.h"

namespace slime::graph {

// How a dependency became known. Learned ones come from the module's metric source.
enum class Via { kStatic, kAccessLog, kPrometheus };
const char* via_name(Via v);

enum class NodeKind { kService, kWorkload, kNamespace, kExternal };
const char* node_kind_name(NodeKind k);

struct Node {
  std::string id;  // "ns/name" (Service, workload fence), "ns/*" (namespace), the host (external)
  std::string ns;  // empty for external hosts
  std::string name;
  NodeKind kind = NodeKind::kService;
  bool fenced = false;  // a ServiceFence of this name exists
};

struct Edge {
  std::string from;  // node id of the fence's workload
  std::string to;    // node id of the destination
  std::string host;  // as the fence names it
  Via via = Via::kStatic;
  // status.domains state: ACTIVE, EXPIREWAIT, EXPIRE; "PENDING" when learned but not yet in domains.
  std::string state;
  std::optional<int64_t> last_seen;   // unix seconds
  std::optional<int64_t> expires_at;  // unix seconds: static deadline, or last seen + dependency TTL
  bool stable = false;                // a static host that never expires
};

struct Workload {
  std::string id;  // "ns/name" of the ServiceFence
  bool enabled = false;
  bool has_sidecar = false;
  size_t sidecar_hosts = 0;      // egress host entries of its Sidecar
  size_t services_received = 0;  // mesh Services those entries cover (the whole mesh without a Sidecar)
  size_t dependencies = 0;       // edges from it
  double excluded_share = 0;     // 1 - received / mesh size
};

struct MeshGraph {
  std::vector<Node> nodes;  // ordered by id
  std::vector<Edge> edges;  // ordered by from, to, via
  std::vector<Workload> workloads;  // ordered by id
  size_t mesh_services = 0;
  std::vector<core::Error> problems;  // undecodable fence fields (object and field named); the rest is built
};

struct GraphOptions {
  Via learned_via = Via::kAccessLog;  // lazyload's metricSourceType
  std::optional<std::chrono::seconds> dependency_ttl;
  std::chrono::system_clock::time_point now{};
};

MeshGraph build_graph(const core::Snapshot& snapshot, const GraphOptions& options);

// The kinds build_graph reads (Services, ServiceFences, Sidecars): a caller may hand it a snapshot of just these.
std::vector<core::GroupKind> graph_kinds();

// How learned dependencies are labelled and when they expire, from the first enabled lazyload entry of the
// module configuration (its metricSourceType and dependencyTtl); defaults without one.
GraphOptions graph_options(const std::vector<core::ModuleConfig>& configs, std::chrono::system_clock::time_point now);

}  // namespace slime::graph

#pragma once
// What /api/v1/graph and `slime graph -o json` answer: a bounded view of a MeshGraph.
// - no namespace, a small mesh (at most `full_view_limit` nodes): every node and edge ("view": "services");
// - no namespace, a larger mesh: one node per namespace, one edge per namespace pair with counts by how
//   they were learned, and one workloads row per namespace with the means of its fences' Sidecar figures
//   ("view": "namespaces") — a 5,000-Service mesh answers with its namespaces, not a dump;
// - a namespace: its nodes and workloads, the edges touching it and the nodes at their other ends
//   ("view": "namespace").
// Every list is capped (`max_nodes`, `max_edges`); `truncated` and the `total*` counts say what was left out.
#include <cstddef>
#include <limits>
#include <string>

#include "slime/core/json.h"
#include "slime/graph/mesh_graph.h"

namespace slime::graph {

struct ViewOptions {
  std::string ns;  // empty: the whole mesh
  size_t full_view_limit = 300;
  size_t max_nodes = 500;
  size_t max_edges = 2000;
  size_t max_namespaces = 1000;  // the filter's list
};

// Everything, unbounded: for `slime graph` on a set of manifests.
inline ViewOptions unbounded_view(std::string ns = {}) {
  constexpr size_t kAll = std::numeric_limits<size_t>::max();
  return ViewOptions{std::move(ns), kAll, kAll, kAll, kAll};
}

core::Json graph_view(const MeshGraph& graph, const ViewOptions& options);

core::Json edge_json(const Edge& e);

}  // namespace slime::graph

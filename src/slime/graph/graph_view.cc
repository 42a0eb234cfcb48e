#include "slime/graph/graph_view.h"

#include <map>
#include <set>

namespace slime::graph {
namespace {

using core::Json;

Json node_json(const Node& n) {
  return Json{{"id", n.id}, {"namespace", n.ns}, {"name", n.name}, {"kind", node_kind_name(n.kind)}, {"fenced", n.fenced}};
}

Json workload_json(const Workload& w, size_t mesh) {
  return Json{{"id", w.id},
              {"enabled", w.enabled},
              {"hasSidecar", w.has_sidecar},
              {"sidecarHosts", w.sidecar_hosts},
              {"servicesReceived", w.services_received},
              {"meshServices", mesh},
              {"dependencies", w.dependencies},
              {"excludedShare", w.excluded_share}};
}

// The namespace a node belongs to for grouping; external hosts form their own group.
std::string group_of(const Node& n) { return n.kind == NodeKind::kExternal ? std::string("(external)") : n.ns; }

// Adds `item` to `list` unless `cap` is reached; returns false (and counts nothing) beyond it.
bool push_capped(Json& list, Json item, size_t cap) {
  if (list.size() >= cap) return false;
  list.push_back(std::move(item));
  return true;
}

}  // namespace

Json edge_json(const Edge& e) {
  Json j{{"from", e.from}, {"to", e.to}, {"host", e.host}, {"via", via_name(e.via)}, {"state", e.state}};
  if (e.last_seen) j["lastSeen"] = *e.last_seen;
  if (e.expires_at) j["expiresAt"] = *e.expires_at;
  if (e.stable) j["stable"] = true;
  return j;
}

Json graph_view(const MeshGraph& graph, const ViewOptions& options) {
  std::map<std::string, const Node*> by_id;
  std::map<std::string, size_t> services_per_ns;
  for (const auto& n : graph.nodes) {
    by_id[n.id] = &n;
    // Every namespace a node lives in is a filter choice (a workload fence's namespace may hold no Service).
    if (n.kind != NodeKind::kExternal) services_per_ns[n.ns] += n.kind == NodeKind::kService ? 1 : 0;
  }
  Json out = Json::object();
  out["meshServices"] = graph.mesh_services;
  out["totalNodes"] = graph.nodes.size();
  out["totalEdges"] = graph.edges.size();
  Json namespaces = Json::array();
  for (const auto& [ns, count] : services_per_ns)
    if (!push_capped(namespaces, Json{{"name", ns}, {"services", count}}, options.max_namespaces)) break;
  out["namespaces"] = std::move(namespaces);
  Json nodes = Json::array(), edges = Json::array(), workloads = Json::array();
  bool truncated = false;

  if (options.ns.empty() && graph.nodes.size() > options.full_view_limit) {
    // Aggregate: namespaces and the dependencies between them.
    out["view"] = "namespaces";
    std::map<std::string, size_t> workloads_per_ns;
    for (const auto& w : graph.workloads) ++workloads_per_ns[w.id.substr(0, w.id.find('/'))];
    std::set<std::string> groups;
    for (const auto& n : graph.nodes) groups.insert(group_of(n));
    for (const auto& ns : groups) {
      Json node{{"id", ns}, {"namespace", ns}, {"name", ns}, {"kind", "namespace"},
                {"services", services_per_ns.count(ns) ? services_per_ns[ns] : 0},
                {"workloads", workloads_per_ns.count(ns) ? workloads_per_ns[ns] : 0}};
      truncated |= !push_capped(nodes, std::move(node), options.max_nodes);
    }
    std::map<std::pair<std::string, std::string>, std::map<std::string, size_t>> pairs;
    for (const auto& e : graph.edges) {
      auto f = by_id.find(e.from), t = by_id.find(e.to);
      if (f == by_id.end() || t == by_id.end()) continue;
      ++pairs[{group_of(*f->second), group_of(*t->second)}][via_name(e.via)];
    }
    for (const auto& [pair, by_via] : pairs) {
      size_t total = 0;
      for (const auto& [v, c] : by_via) total += c;
      Json edge{{"from", pair.first}, {"to", pair.second}, {"count", total}, {"byVia", by_via}};
      truncated |= !push_capped(edges, std::move(edge), options.max_edges);
    }
    // Workloads per namespace: means of their Sidecar figures, the number of fences and of dependencies.
    struct Sum {
      size_t fences = 0, with_sidecar = 0, hosts = 0, received = 0, dependencies = 0;
      double excluded = 0;
    };
    std::map<std::string, Sum> per_ns;
    for (const auto& w : graph.workloads) {
      Sum& sum = per_ns[w.id.substr(0, w.id.find('/'))];
      ++sum.fences;
      sum.with_sidecar += w.has_sidecar ? 1 : 0;
      sum.hosts += w.sidecar_hosts;
      sum.received += w.services_received;
      sum.dependencies += w.dependencies;
      sum.excluded += w.excluded_share;
    }
    for (const auto& [ns, sum] : per_ns) {
      const double n = static_cast<double>(sum.fences);
      Json row{{"id", ns},
               {"workloads", sum.fences},
               {"enabled", true},
               {"hasSidecar", sum.with_sidecar == sum.fences},
               {"sidecarHosts", static_cast<size_t>(static_cast<double>(sum.hosts) / n + 0.5)},
               {"servicesReceived", static_cast<size_t>(static_cast<double>(sum.received) / n + 0.5)},
               {"meshServices", graph.mesh_services},
               {"dependencies", sum.dependencies},
               {"excludedShare", sum.excluded / n}};
      truncated |= !push_capped(workloads, std::move(row), options.max_nodes);
    }
  } else {
    out["view"] = options.ns.empty() ? "services" : "namespace";
    if (!options.ns.empty()) out["namespace"] = options.ns;
    auto in_view = [&](const Node& n) { return options.ns.empty() || n.ns == options.ns; };
    std::set<std::string> shown;
    auto show = [&](const Node& n) {
      if (shown.count(n.id)) return;
      if (push_capped(nodes, node_json(n), options.max_nodes)) shown.insert(n.id);
      else truncated = true;
    };
    for (const auto& n : graph.nodes)
      if (in_view(n)) show(n);
    for (const auto& e : graph.edges) {
      auto f = by_id.find(e.from), t = by_id.find(e.to);
      if (f == by_id.end() || t == by_id.end()) continue;
      if (!in_view(*f->second) && !in_view(*t->second)) continue;
      show(*f->second);
      show(*t->second);
      if (!shown.count(e.from) || !shown.count(e.to)) {
        truncated = true;
        continue;
      }
      truncated |= !push_capped(edges, edge_json(e), options.max_edges);
    }
    for (const auto& w : graph.workloads)
      if (options.ns.empty() || w.id.substr(0, w.id.find('/')) == options.ns)
        truncated |= !push_capped(workloads, workload_json(w, graph.mesh_services), options.max_nodes);
  }
  out["nodes"] = std::move(nodes);
  out["edges"] = std::move(edges);
  out["workloads"] = std::move(workloads);
  out["truncated"] = truncated;
  Json problems = Json::array();
  for (const auto& p : graph.problems)
    if (!push_capped(problems, p.str(), 100)) break;
  out["problems"] = std::move(problems);
  return out;
}

}  // namespace slime::graph

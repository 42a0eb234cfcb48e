#include "slime/graph/mesh_graph.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "slime/core/kinds.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/lazyload/fence.h"
#include "slime/modules/lazyload/names.h"

namespace slime::graph {
namespace {

using core::Json;

// Mesh Services by the names a fence may use for them.
class ServiceIndex {
 public:
  explicit ServiceIndex(const core::Snapshot& snapshot) {
    for (const auto* s : snapshot.list(core::kServiceGk)) {
      std::string id = s->ns() + "/" + s->name();
      by_host_[s->name() + "." + s->ns() + ".svc.cluster.local"] = id;
      by_host_[s->name() + "." + s->ns() + ".svc"] = id;
      by_host_[s->name() + "." + s->ns()] = id;
      ++per_ns_[s->ns()];
      ids_.push_back({s->ns(), s->name(), std::move(id)});
    }
  }
  // "ns/name" of the Service `host` names (short names relative to `fence_ns`), or empty.
  std::string resolve(const std::string& host, const std::string& fence_ns) const {
    std::string h = host.substr(0, host.find(':'));
    if (auto it = by_host_.find(h); it != by_host_.end()) return it->second;
    if (h.find('.') == std::string::npos)
      if (auto it = by_host_.find(h + "." + fence_ns); it != by_host_.end()) return it->second;
    return {};
  }
  size_t in_namespace(const std::string& ns) const {
    auto it = per_ns_.find(ns);
    return it == per_ns_.end() ? 0 : it->second;
  }
  size_t size() const { return ids_.size(); }
  struct Entry {
    std::string ns, name, id;
  };
  const std::vector<Entry>& all() const { return ids_; }

 private:
  std::unordered_map<std::string, std::string> by_host_;
  std::unordered_map<std::string, size_t> per_ns_;
  std::vector<Entry> ids_;
};

// The host inside a metricStatus key: `{destination_service="h"}` or `{request_host="h"}`.
std::string metric_key_host(const std::string& key) {
  auto open = key.find("=\"");
  auto close = key.rfind('"');
  if (open == std::string::npos || close == std::string::npos || close <= open + 1) return {};
  return key.substr(open + 2, close - open - 2);
}

// The mesh Services a Sidecar's egress host entries ("ns/host") let its workload receive.
size_t services_received(const Json& sidecar, const std::string& sidecar_ns, const ServiceIndex& index,
                         size_t& entries) {
  std::set<std::string> whole_ns;
  std::set<std::string> single;  // "ns/name"
  bool everything = false;
  const Json* egress = sidecar.contains("spec") && sidecar["spec"].is_object() && sidecar["spec"].contains("egress")
                           ? &sidecar["spec"]["egress"]
                           : nullptr;
  if (!egress || !egress->is_array()) return 0;
  for (const auto& e : *egress) {
    if (!e.is_object() || !e.contains("hosts") || !e["hosts"].is_array()) continue;
    for (const auto& h : e["hosts"]) {
      if (!h.is_string()) continue;
      ++entries;
      const std::string& s = h.get_ref<const std::string&>();
      auto slash = s.find('/');
      if (slash == std::string::npos) continue;
      std::string ns = s.substr(0, slash), host = s.substr(slash + 1);
      if (ns == ".") ns = sidecar_ns;
      if (ns == "~") continue;
      if (host == "*") {
        if (ns == "*") everything = true;
        else whole_ns.insert(ns);
        continue;
      }
      std::string id = index.resolve(host, sidecar_ns);
      if (id.empty()) continue;
      if (ns != "*" && id.substr(0, id.find('/')) != ns) continue;
      single.insert(id);
    }
  }
  if (everything) return index.size();
  size_t n = 0;
  for (const auto& ns : whole_ns) n += index.in_namespace(ns);
  for (const auto& id : single)
    if (!whole_ns.count(id.substr(0, id.find('/')))) ++n;
  return n;
}

}  // namespace

const char* via_name(Via v) {
  switch (v) {
    case Via::kStatic: return "static";
    case Via::kAccessLog: return "accesslog";
    case Via::kPrometheus: return "prometheus";
  }
  return "static";
}

const char* node_kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::kService: return "service";
    case NodeKind::kWorkload: return "workload";
    case NodeKind::kNamespace: return "namespace";
    case NodeKind::kExternal: return "external";
  }
  return "service";
}

MeshGraph build_graph(const core::Snapshot& snapshot, const GraphOptions& options) {
  MeshGraph g;
  ServiceIndex index(snapshot);
  g.mesh_services = index.size();
  std::map<std::string, Node> nodes;
  for (const auto& s : index.all()) nodes[s.id] = Node{s.id, s.ns, s.name, NodeKind::kService, false};
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(options.now.time_since_epoch()).count();

  // The node an edge leads to: a Service, a namespace, or a host outside the mesh.
  auto target = [&](const std::string& host, const std::string& fence_ns) {
    if (host.ends_with("/*")) {
      std::string ns = host.substr(0, host.size() - 2);
      nodes.try_emplace(host, Node{host, ns, "*", NodeKind::kNamespace, false});
      return host;
    }
    std::string id = index.resolve(host, fence_ns);
    if (!id.empty()) return id;
    nodes.try_emplace(host, Node{host, "", host, NodeKind::kExternal, false});
    return host;
  };

  for (const auto* fence : snapshot.list(lazyload::kServiceFenceGk)) {
    const std::string id = fence->ns() + "/" + fence->name();
    std::vector<core::Error> problems;
    auto spec = lazyload::parse_fence_spec(fence->spec(), problems);
    auto status = lazyload::parse_fence_status(fence->status(), problems);
    for (auto& p : problems) g.problems.push_back(std::move(p).in_object("ServiceFence " + id));
    auto [it, added] = nodes.try_emplace(id, Node{id, fence->ns(), fence->name(), NodeKind::kWorkload, true});
    it->second.fenced = true;

    auto state_of = [&](const std::string& host) -> std::string {
      auto d = status.domains.find(host);
      return d == status.domains.end() ? std::string() : lazyload::domain_status_name(d->second.status);
    };
    std::set<std::string> seen_hosts;
    for (const auto& [host, strategy] : spec.host) {
      Edge e{id, target(host, fence->ns()), host, Via::kStatic, state_of(host), std::nullopt, std::nullopt, strategy.stable};
      if (strategy.deadline_expire) e.expires_at = strategy.deadline_expire->seconds;
      if (e.state.empty()) e.state = e.expires_at && *e.expires_at < now_s ? "EXPIRE" : "PENDING";
      g.edges.push_back(std::move(e));
      seen_hosts.insert(host);
    }
    for (const auto& [key, count] : status.metric_status) {
      std::string host = metric_key_host(key);
      if (host.empty() || seen_hosts.count(host)) continue;
      Edge e{id, target(host, fence->ns()), host, options.learned_via, state_of(host), std::nullopt, std::nullopt, false};
      if (e.state.empty()) e.state = "PENDING";
      if (auto ls = status.last_seen.find(key); ls != status.last_seen.end()) {
        e.last_seen = ls->second;
        if (options.dependency_ttl) e.expires_at = ls->second + options.dependency_ttl->count();
      }
      g.edges.push_back(std::move(e));
      seen_hosts.insert(host);
    }
    // Dependencies that left metricStatus but stay in the Sidecar for one more computation (EXPIREWAIT).
    for (const auto& [host, dest] : status.domains) {
      if (seen_hosts.count(host) || dest.status == lazyload::DomainStatus::kActive) continue;
      g.edges.push_back(Edge{id, target(host, fence->ns()), host, options.learned_via,
                             lazyload::domain_status_name(dest.status), std::nullopt, std::nullopt, false});
    }

    Workload w;
    w.id = id;
    w.enabled = spec.enable;
    if (const auto* sc = snapshot.get({core::kSidecarGk, fence->ns(), fence->name()})) {
      w.has_sidecar = true;
      w.services_received = services_received(sc->json(), fence->ns(), index, w.sidecar_hosts);
    } else {
      w.services_received = index.size();  // no Sidecar: Istio pushes it the whole mesh
    }
    g.workloads.push_back(std::move(w));
  }

  for (auto& [id, n] : nodes) g.nodes.push_back(std::move(n));
  std::sort(g.edges.begin(), g.edges.end(), [](const Edge& a, const Edge& b) {
    return std::tie(a.from, a.to, a.host, a.via) < std::tie(b.from, b.to, b.host, b.via);
  });
  std::map<std::string, size_t> out_degree;
  for (const auto& e : g.edges) ++out_degree[e.from];
  for (auto& w : g.workloads) {
    w.dependencies = out_degree[w.id];
    w.excluded_share = g.mesh_services == 0
                           ? 0.0
                           : 1.0 - static_cast<double>(std::min(w.services_received, g.mesh_services)) /
                                       static_cast<double>(g.mesh_services);
  }
  return g;
}

std::vector<core::GroupKind> graph_kinds() { return {core::kServiceGk, lazyload::kServiceFenceGk, core::kSidecarGk}; }

GraphOptions graph_options(const std::vector<core::ModuleConfig>& configs, std::chrono::system_clock::time_point now) {
  GraphOptions o;
  o.now = now;
  for (const auto& mc : configs) {
    if (mc.effective_kind() != "lazyload" || !mc.enable) continue;
    auto parsed = lazyload::parse_config(mc);
    if (!parsed) continue;  // the module reports its own configuration errors
    o.learned_via = parsed->config.metric_source == lazyload::MetricSource::kPrometheus ? Via::kPrometheus : Via::kAccessLog;
    o.dependency_ttl = parsed->config.dependency_ttl;
    break;
  }
  return o;
}

}  // namespace slime::graph

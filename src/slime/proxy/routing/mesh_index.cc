#include "slime/proxy/routing/mesh_index.h"

#include <arpa/inet.h>

#include <algorithm>

#include "slime/core/kinds.h"
#include "slime/core/service_endpoints.h"

namespace slime::proxy {
namespace {

using core::kServiceGk;

// The API server's Service: reaching it through the proxy would lend every caller the proxy's network
// position (and, in-cluster, a path around NetworkPolicies that guard the control plane).
constexpr std::string_view kApiServerNs = "default";
constexpr std::string_view kApiServerName = "kubernetes";

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

uint16_t port_of(const core::Json& p) {
  auto it = p.find("port");
  if (it == p.end() || !it->is_number_integer()) return 0;
  auto v = it->get<int64_t>();
  return v > 0 && v < 65536 ? static_cast<uint16_t>(v) : 0;
}

std::string str_of(const core::Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The named ports of an Endpoints subset or an EndpointSlice.
std::map<std::string, uint16_t> named_ports(const core::Json* list) {
  std::map<std::string, uint16_t> ports;
  if (list && list->is_array())
    for (const auto& port : *list)
      if (port.is_object() && port_of(port)) ports[str_of(port, "name")] = port_of(port);
  return ports;
}

// Port of the endpoint that serves Service port `port` (matched by port name, as kube-proxy does); 0 when
// the endpoint has no port for it.
uint16_t endpoint_port(const ServiceEntry& svc, const ServiceEntry::Endpoint& ep, uint16_t port) {
  for (const auto& p : svc.ports) {
    if (p.port != port) continue;
    if (auto it = ep.ports.find(p.name); it != ep.ports.end()) return it->second;
    if (ep.ports.size() == 1) return ep.ports.begin()->second;
    return 0;
  }
  return 0;
}

bool serves_port(const ServiceEntry& svc, uint16_t port) {
  return std::ranges::any_of(svc.ports, [&](const auto& p) { return p.port == port; });
}

std::string ports_text(const std::set<uint16_t>& ports) {
  std::string out;
  for (auto p : ports) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out.empty() ? "none" : out;
}

MeshResolution refuse(MeshRefusal::Kind kind, std::string reason) {
  return std::unexpected(MeshRefusal{kind, std::move(reason)});
}

std::string address(std::string_view host, uint16_t port) { return std::string(host) + ":" + std::to_string(port); }

}  // namespace

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

MeshIndex MeshIndex::build(const core::Snapshot& snapshot) {
  MeshIndex index;
  for (const auto* svc : snapshot.list(kServiceGk)) {
    ServiceEntry e;
    e.ns = svc->ns();
    e.name = lower(svc->name());
    const auto& spec = svc->spec();
    if (spec.is_object()) {
      auto ip = str_of(spec, "clusterIP");
      if (ip != "None") e.cluster_ip = ip;
      if (auto it = spec.find("ports"); it != spec.end() && it->is_array())
        for (const auto& p : *it)
          if (p.is_object() && port_of(p)) e.ports.push_back({str_of(p, "name"), port_of(p)});
    }
    if (e.ns == kApiServerNs && e.name == kApiServerName) {
      if (!e.cluster_ip.empty()) index.forbidden_ips_.insert(e.cluster_ip);
      continue;
    }
    index.services_.emplace(e.ns + "/" + e.name, std::move(e));
  }
  // EndpointSlices where the Service has any, else its Endpoints; ready addresses first.
  core::for_each_service_endpoints(snapshot, [&](const std::string& ns, const std::string& name,
                                                 const std::vector<core::EndpointAddress>& addresses) {
    if (ns == kApiServerNs && lower(name) == kApiServerName) {
      for (const auto& a : addresses)
        for (const auto& [port_name, port] : named_ports(a.ports)) index.forbidden_endpoints_.emplace(a.ip, port);
      return;
    }
    auto it = index.services_.find(ns + "/" + lower(name));
    if (it == index.services_.end()) return;  // endpoints without a Service are not a destination
    for (const auto& a : addresses) it->second.endpoints.push_back({a.ip, named_ports(a.ports)});
  });
  // Addresses, once every Service is in place (the map's nodes, and so the pointers, stay put).
  for (const auto& [key, svc] : index.services_) {
    if (!svc.cluster_ip.empty()) {
      auto& a = index.ips_[svc.cluster_ip];
      a.service = &svc;
      for (const auto& p : svc.ports) a.ports.insert(p.port);
    }
    for (const auto& e : svc.endpoints) {
      auto& a = index.ips_[e.ip];
      if (!a.service) a.service = &svc;
      for (const auto& [name, port] : e.ports) a.ports.insert(port);
    }
  }
  return index;
}

const ServiceEntry* MeshIndex::find(std::string_view ns, std::string_view name) const {
  std::string key;
  key.reserve(ns.size() + name.size() + 1);
  key.append(ns).append("/").append(lower(name));
  auto it = services_.find(key);
  return it == services_.end() ? nullptr : &it->second;
}

const ServiceEntry* MeshIndex::find_host(std::string_view host) const {
  std::string h = lower(host);
  if (!h.empty() && h.back() == '.') h.pop_back();
  for (std::string_view suffix : {".svc.cluster.local", ".svc"}) {
    if (h.size() > suffix.size() && h.ends_with(suffix)) {
      h.resize(h.size() - suffix.size());
      break;
    }
  }
  auto dot = h.find('.');
  if (dot == std::string::npos || h.find('.', dot + 1) != std::string::npos) return nullptr;
  return find(std::string_view(h).substr(dot + 1), std::string_view(h).substr(0, dot));
}

bool MeshIndex::known_ip(std::string_view ip) const { return ips_.contains(ip); }

MeshResolution MeshIndex::resolve(std::string_view host_or_ip, uint16_t port, uint64_t pick) const {
  using Kind = MeshRefusal::Kind;
  if (is_ip_literal(host_or_ip)) {
    if (forbidden_ips_.contains(host_or_ip) ||
        forbidden_endpoints_.contains(std::pair<std::string, uint16_t>(host_or_ip, port)))
      return refuse(Kind::kForbidden, address(host_or_ip, port) + " is the Kubernetes API server (default/kubernetes)");
    auto it = ips_.find(host_or_ip);
    if (it == ips_.end())
      return refuse(Kind::kNotInMesh, "destination " + std::string(host_or_ip) + " is not a mesh service or endpoint");
    const auto& a = it->second;
    if (!a.ports.contains(port))
      return refuse(Kind::kPortNotDeclared, "port " + std::to_string(port) + " of " + std::string(host_or_ip) +
                                                " is not declared by " + a.service->ns + "/" + a.service->name +
                                                " (declared: " + ports_text(a.ports) + ")");
    return MeshTarget{a.service, std::string(host_or_ip), port};
  }

  {
    std::string h = lower(host_or_ip);
    if (h.ends_with('.')) h.pop_back();
    for (std::string_view form : {"kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"})
      if (h == form) return refuse(Kind::kForbidden, "the Kubernetes API server (default/kubernetes) is never a destination");
  }
  const auto* svc = find_host(host_or_ip);
  if (!svc) return refuse(Kind::kNotInMesh, "destination " + std::string(host_or_ip) + " is not a mesh service");
  const std::string name = svc->ns + "/" + svc->name;
  if (!svc->cluster_ip.empty()) {
    if (!serves_port(*svc, port))
      return refuse(Kind::kPortNotDeclared,
                    "port " + std::to_string(port) + " is not a port of mesh service " + name);
    return MeshTarget{svc, svc->cluster_ip, port};
  }
  // Headless: the Service port maps to each endpoint's port; an endpoint's own port is dialled as asked
  // (clients of headless Services often use the target port, as DNS gives them the pod addresses).
  std::vector<std::pair<const ServiceEntry::Endpoint*, uint16_t>> candidates;
  const bool service_port = serves_port(*svc, port);
  for (const auto& ep : svc->endpoints) {
    uint16_t p = service_port ? endpoint_port(*svc, ep, port) : 0;
    if (!p && std::ranges::any_of(ep.ports, [&](const auto& kv) { return kv.second == port; })) p = port;
    if (p) candidates.emplace_back(&ep, p);
  }
  if (candidates.empty()) {
    if (svc->endpoints.empty())
      return refuse(Kind::kNoEndpoints, "mesh service " + name + " has no cluster IP and no endpoints");
    return refuse(Kind::kPortNotDeclared,
                  "port " + std::to_string(port) + " is not a port of mesh service " + name + " or its endpoints");
  }
  const auto& [ep, p] = candidates[pick % candidates.size()];
  if (forbidden_endpoints_.contains(std::pair<std::string, uint16_t>(ep->ip, p)))
    return refuse(Kind::kForbidden, address(ep->ip, p) + " is the Kubernetes API server (default/kubernetes)");
  return MeshTarget{svc, ep->ip, p};
}

}  // namespace slime::proxy

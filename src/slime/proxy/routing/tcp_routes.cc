#include "slime/proxy/routing/tcp_routes.h"

#include <algorithm>
#include <vector>

#include "slime/core/kinds.h"
#include "slime/core/service_endpoints.h"

namespace slime::proxy {
namespace {

std::string str_of(const core::Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint16_t port_of(const core::Json& p, const char* key = "port") {
  auto it = p.find(key);
  if (it == p.end() || !it->is_number_integer()) return 0;
  auto v = it->get<int64_t>();
  return v > 0 && v < 65536 ? static_cast<uint16_t>(v) : 0;
}

// Kubernetes' default protocol is TCP; UDP and SCTP ports are not relayed.
bool is_tcp(const core::Json& p) {
  auto proto = str_of(p, "protocol");
  return proto.empty() || proto == "TCP";
}

struct ServicePort {
  std::string name;
  uint16_t port = 0;
};

}  // namespace

TcpRoutes TcpRoutes::build(const core::Snapshot& snapshot) {
  TcpRoutes out;
  // Services sorted by namespace/name, so the first claim on an address is deterministic.
  std::vector<const core::Object*> services = snapshot.list(core::kServiceGk);
  std::ranges::sort(services, [](const core::Object* a, const core::Object* b) {
    return std::pair(a->ns(), a->name()) < std::pair(b->ns(), b->name());
  });
  std::map<std::string, std::vector<ServicePort>> ports_by_service;
  for (const auto* svc : services) {
    // The API server's Service is never a destination (as for HTTP: see MeshIndex).
    if (svc->ns() == "default" && svc->name() == "kubernetes") continue;
    const auto& spec = svc->spec();
    if (!spec.is_object()) continue;
    std::vector<ServicePort> ports;
    if (auto it = spec.find("ports"); it != spec.end() && it->is_array())
      for (const auto& p : *it)
        if (p.is_object() && is_tcp(p) && port_of(p)) ports.push_back({str_of(p, "name"), port_of(p)});
    std::vector<std::string> ips;
    if (auto ip = str_of(spec, "clusterIP"); !ip.empty() && ip != "None") ips.push_back(ip);
    if (auto it = spec.find("clusterIPs"); it != spec.end() && it->is_array())
      for (const auto& ip : *it)
        if (ip.is_string() && ip.get<std::string>() != "None") ips.push_back(ip.get<std::string>());
    for (const auto& ip : ips)
      for (const auto& p : ports) out.routes_.try_emplace({ip, p.port}, TcpRoute{svc->ns(), svc->name(), p.port, false});
    ports_by_service[svc->ns() + "/" + svc->name()] = std::move(ports);
  }
  // EndpointSlices where the Service has any, else its Endpoints (ordered by namespace/name).
  core::for_each_service_endpoints(snapshot, [&](const std::string& ns, const std::string& name,
                                                 const std::vector<core::EndpointAddress>& addresses) {
    auto svc = ports_by_service.find(ns + "/" + name);
    if (svc == ports_by_service.end()) return;  // endpoints without a Service are not a destination
    for (const auto& a : addresses) {
      if (!a.ports || !a.ports->is_array()) continue;
      for (const auto& p : *a.ports) {
        if (!p.is_object() || !is_tcp(p) || !port_of(p)) continue;
        // The Service port this endpoint port serves: same name (kube-proxy's rule), or the only one.
        const ServicePort* sp = nullptr;
        for (const auto& c : svc->second)
          if (c.name == str_of(p, "name")) sp = &c;
        if (!sp && svc->second.size() == 1) sp = &svc->second.front();
        if (sp) out.routes_.try_emplace({a.ip, port_of(p)}, TcpRoute{ns, name, sp->port, true});
      }
    }
  });
  return out;
}

const TcpRoute* TcpRoutes::find(std::string_view ip, uint16_t port) const {
  auto it = routes_.find(std::pair(std::string(ip), port));
  return it == routes_.end() ? nullptr : &it->second;
}

}  // namespace slime::proxy

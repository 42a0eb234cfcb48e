#pragma once
// What the proxy may forward to: the mesh's Services (by name, cluster IP) and their Endpoints (pod IPs),
// indexed for the per-request lookups. Built from a snapshot (manifest directory or Kubernetes cache) and
// swapped whole when the source changes, so requests read it without locks.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/snapshot.h"

namespace slime::proxy {

struct ServiceEntry {
  std::string ns, name;
  std::string cluster_ip;  // empty for headless Services
  struct Port {
    std::string name;
    uint16_t port = 0;
  };
  std::vector<Port> ports;
  struct Endpoint {
    std::string ip;
    std::map<std::string, uint16_t> ports;  // endpoint port name -> port ("" for an unnamed port)
  };
  std::vector<Endpoint> endpoints;  // ready addresses first, then not-ready ones
};

class MeshIndex {
 public:
  static MeshIndex build(const core::Snapshot& snapshot);

  const ServiceEntry* find(std::string_view ns, std::string_view name) const;
  // A host name in one of the forms a mesh Service answers to: name.ns, name.ns.svc, name.ns.svc.cluster.local
  // (case-insensitive, trailing dot allowed). Short names must be expanded before.
  const ServiceEntry* find_host(std::string_view host) const;
  // Whether `ip` is a Service cluster IP or an endpoint address of the mesh.
  bool known_ip(std::string_view ip) const;
  size_t services() const { return services_.size(); }

 private:
  std::map<std::string, ServiceEntry, std::less<>> services_;  // "ns/name"
  std::set<std::string, std::less<>> ips_;
};

}  // namespace slime::proxy

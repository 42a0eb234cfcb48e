#pragma once
// What the proxy may forward to: the mesh's Services (by name, cluster IP) and their Endpoints (pod IPs),
// indexed for the per-request lookups. Built from a snapshot (manifest directory or Kubernetes cache) and
// swapped whole when the source changes, so requests read it without locks.
//
// resolve() is the allow-list every forwarding path asks (HTTP/1.1, h2c streams, and TCP destinations):
// a destination is a mesh Service or one of its addresses, and only on a port that Service declares.
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
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

// Where an allowed destination is dialled.
struct MeshTarget {
  const ServiceEntry* service = nullptr;  // the Service addressed (for an endpoint IP: one it backs)
  std::string ip;
  uint16_t port = 0;
};

struct MeshRefusal {
  enum class Kind {
    kNotInMesh,        // no Service of that name, no cluster IP or endpoint with that address
    kPortNotDeclared,  // a mesh address, but not a port its Service (or endpoint) declares
    kForbidden,        // never a destination: the Kubernetes API server (default/kubernetes)
    kNoEndpoints,      // a headless Service with no address to dial
  };
  Kind kind = Kind::kNotInMesh;
  std::string reason;
};

using MeshResolution = std::expected<MeshTarget, MeshRefusal>;

// An IPv4 or IPv6 address literal (no brackets).
bool is_ip_literal(std::string_view host);

class MeshIndex {
 public:
  static MeshIndex build(const core::Snapshot& snapshot);
  MeshIndex() = default;
  MeshIndex(MeshIndex&&) = default;
  MeshIndex& operator=(MeshIndex&&) = default;
  MeshIndex(const MeshIndex&) = delete;  // ips_ points into services_
  MeshIndex& operator=(const MeshIndex&) = delete;

  const ServiceEntry* find(std::string_view ns, std::string_view name) const;
  // A host name in one of the forms a mesh Service answers to: name.ns, name.ns.svc, name.ns.svc.cluster.local
  // (case-insensitive, trailing dot allowed). Short names must be expanded before.
  const ServiceEntry* find_host(std::string_view host) const;
  // Whether `ip` is a Service cluster IP or an endpoint address of the mesh.
  bool known_ip(std::string_view ip) const;
  size_t services() const { return services_.size(); }

  // The port-aware allow-list. `host_or_ip` is a mesh host name (as find_host) or an IP literal:
  //  - a Service name: allowed on the Service's ports; a ClusterIP Service is dialled at its cluster IP, a
  //    headless one at an endpoint (`pick` chooses which), on the endpoint port that serves the Service
  //    port (matched by name) — or on an endpoint's own port when that is what was asked;
  //  - a cluster IP: only on its Service's ports;
  //  - an endpoint IP: only on the ports its Endpoints subset lists for it (the target ports);
  //  - default/kubernetes (name, cluster IP, endpoint address:port): never.
  MeshResolution resolve(std::string_view host_or_ip, uint16_t port, uint64_t pick = 0) const;

 private:
  struct Address {
    const ServiceEntry* service = nullptr;
    std::set<uint16_t> ports;
  };
  std::map<std::string, ServiceEntry, std::less<>> services_;  // "ns/name"
  std::map<std::string, Address, std::less<>> ips_;             // cluster IPs and endpoint IPs
  std::set<std::string, std::less<>> forbidden_ips_;            // default/kubernetes's cluster IP
  std::set<std::pair<std::string, uint16_t>, std::less<>> forbidden_endpoints_;  // its endpoints
};

}  // namespace slime::proxy

#pragma once
// Where a TCP connection may go: the mesh's Service addresses by IP *and port*. The HTTP path's MeshIndex
// answers "is this IP a cluster IP or endpoint" and "which Service has this name"; a TCP destination is only
// an address, so it needs "which Service port does ip:port stand for" — a cluster IP with one of the
// Service's declared TCP ports, or an endpoint address with one of its endpoint ports.
//
// Kept separate from MeshIndex on purpose while the HTTP index grows its own port-aware lookup (another
// branch); both are built from the same snapshot and can be folded into one index later.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "slime/core/snapshot.h"

namespace slime::proxy {

struct TcpRoute {
  std::string ns, name;       // the Service
  uint16_t service_port = 0;  // the Service port the address stands for
  bool endpoint = false;      // the address is an endpoint (pod) address, not the cluster IP

  // What the access log reports as the destination: the Service's full name and port, so lazyload's
  // ingestion learns it exactly as an HTTP authority.
  std::string authority() const {
    return name + "." + ns + ".svc.cluster.local:" + std::to_string(service_port);
  }
};

class TcpRoutes {
 public:
  static TcpRoutes build(const core::Snapshot& snapshot);

  // The Service port `ip:port` stands for; null when it is not a mesh address on a declared TCP port.
  const TcpRoute* find(std::string_view ip, uint16_t port) const;
  size_t size() const { return routes_.size(); }

 private:
  // (ip, port) -> route. An address in several Services (a pod behind two Services on the same port)
  // keeps the first in namespace/name order, so the result does not depend on listing order.
  std::map<std::pair<std::string, uint16_t>, TcpRoute, std::less<>> routes_;
};

}  // namespace slime::proxy

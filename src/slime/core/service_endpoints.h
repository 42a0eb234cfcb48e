#pragma once
// The addresses behind Services, read from EndpointSlices (discovery.k8s.io/v1) when a Service has any,
// else from its Endpoints (core/v1, deprecated since Kubernetes 1.33 but all older clusters have). The
// controller watches one of the two, chosen by discovery; manifests may hold either.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/json.h"
#include "slime/core/read_fields.h"
#include "slime/core/snapshot.h"

namespace slime::core {

// The label an EndpointSlice names its Service with.
inline constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";

struct EndpointAddress {
  std::string ip;
  bool ready = true;
  // targetRef when it names a Pod; empty otherwise.
  std::string pod_ns, pod_name;
  // The ports of the subset or slice the address belongs to (a JSON array, or null when it has none).
  const Json* ports = nullptr;
};

// The parts of EndpointSlices and Endpoints the functions below read, for a module's read_fields(): the
// addresses only, or also whether they are ready and which Pods they are (`ready_and_pods`). Ports are
// never kept: no module reads them.
std::vector<KindFields> endpoint_read_fields(bool ready_and_pods);

// The addresses of Service ns/name, ready ones first in source order; nullopt when there is neither an
// EndpointSlice nor an Endpoints object for it (unknown, as opposed to known to be empty).
std::optional<std::vector<EndpointAddress>> service_endpoints(const Snapshot& snapshot, std::string_view ns,
                                                              std::string_view name);

// Every Service that has EndpointSlices or Endpoints, ordered by namespace then name.
void for_each_service_endpoints(
    const Snapshot& snapshot,
    const std::function<void(const std::string& ns, const std::string& name, const std::vector<EndpointAddress>&)>& fn);

}  // namespace slime::core

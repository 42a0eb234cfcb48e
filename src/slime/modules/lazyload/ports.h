#pragma once
// Wormhole ports (spec §5.12): which service ports are HTTP, and the port set the global sidecar publishes.
#include <cstdint>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/core/snapshot.h"
#include "slime/modules/lazyload/config.h"

namespace slime::lazyload {

// Kubernetes Service port: protocol exactly TCP, name up to the first '-' equal to "http" (or, with supportH2,
// "grpc" / "http2"). The port number when it counts, 0 otherwise.
int64_t http_service_port(const core::Json& port, bool support_h2);
// ServiceEntry port: protocol HTTP (with supportH2 also HTTP2, GRPC, GRPC-Web), case-insensitive.
int64_t http_service_entry_port(const core::Json& port, bool support_h2);

// The wormhole port list. Without autoPort: `wormholePort` as configured. With autoPort: configured ports ∪
// HTTP ports of every Service (except the global sidecar's own) and ServiceEntry ∪ (unless cleanupWormholePort)
// the ports the global-sidecar Service already publishes, which is where the set persists across restarts;
// sorted as strings, like the original.
std::vector<std::string> wormhole_ports(const FenceConfig& config, const core::Snapshot& snapshot);

// gsSvcPorts: the wormhole ports in order (numeric, de-duplicated) plus the global sidecar's port unless it is
// already there. Non-numeric entries are reported and skipped.
std::vector<int64_t> gs_service_ports(const std::vector<std::string>& wormhole, int64_t gs_port,
                                      std::vector<core::Error>& problems);

}  // namespace slime::lazyload

#pragma once
// The global sidecar's objects (spec §6.1-6.5), built programmatically with the shapes of the original's Helm
// chart (charts/global-sidecar): per global-sidecar namespace the Service, ConfigMap, Deployment, RBAC,
// optional DestinationRule, the metric-source objects, and the `to-global-sidecar` EnvoyFilter.
#include <cstdint>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/object.h"
#include "slime/modules/lazyload/config.h"

namespace slime::lazyload {

// Namespaces that get a global sidecar: the cluster-mode namespace, or every `namespace` entry.
std::vector<std::string> global_sidecar_namespaces(const FenceConfig& config);

// Every object, in a fixed order. `ports` = gsSvcPorts (see ports.h).
std::vector<core::Object> render_global_sidecar(const FenceConfig& config, const std::vector<int64_t>& ports);

// Pieces, exposed for tests and for boot.
// `tcp_port` > 0: also the TCP lazy-loading port (`tcp-<port>`).
core::Object gs_service(const std::string& ns, const std::vector<int64_t>& ports, int64_t tcp_port = 0);
core::Object gs_config_map(const std::string& ns, const std::vector<int64_t>& ports);
core::Object gs_deployment(const FenceConfig& config, const std::string& ns, const std::vector<int64_t>& ports);
core::Object to_global_sidecar_filter(const FenceConfig& config, const std::string& gs_ns, const std::string& filter_ns,
                                      const std::vector<int64_t>& ports);
// TCP lazy loading: EnvoyFilter `to-global-sidecar-tcp` (a virtualOutbound filter chain for the service
// CIDRs, tcp-proxied to a cluster that writes a PROXY protocol v2 header to the global sidecar).
core::Object tcp_fallback_filter(const FenceConfig& config, const std::string& gs_ns, const std::string& filter_ns);
core::Object accesslog_filter(const FenceConfig& config, const std::string& ns);
core::Object accesslog_source_config_map(const FenceConfig& config, const std::string& ns);
core::Object metadata_exchange_remove_filter(const std::string& ns);

}  // namespace slime::lazyload

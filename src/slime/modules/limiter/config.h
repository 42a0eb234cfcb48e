#pragma once
// The limiter's module configuration (`general` of the module entry; api/config/limiter_module.proto,
// message Limiter) plus the framework settings it reads.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/error.h"

namespace slime::limiter {

struct LimiterConfig {
  bool disable_global_rate_limit = false;
  bool disable_adaptive = false;
  bool disable_insert_local_rate_limit = false;
  bool disable_insert_global_rate_limit = false;
  bool enable_ratelimit_placeholder_in_route = false;
  // Without rlsConfigMap / rls the names of the original's install/rls.yaml are used (the original
  // crashed without rlsConfigMap and inserted a filter with an empty cluster without rls).
  std::string rls_configmap_name = "rate-limit-config";
  std::string rls_configmap_namespace = "istio-system";
  std::string domain = "slime";
  std::string rls_service = "rate-limit.istio-system.svc.cluster.local";
  int64_t rls_port = 18081;
  std::string proxy_version;
  // The adaptive loop's tick (`refresh`; the original ignored the field and always used 30 s).
  std::chrono::milliseconds refresh{30000};
  // Envoy filter names before Istio 1.9 (the original's ENVOY_FILTER_NAME_LEGACY environment variable).
  bool legacy_filter_names = false;

  // Framework settings.
  std::string istio_namespace = "istio-system";
  std::vector<std::string> istio_revs;  // empty: every revision
  bool strict_rev = false;
  std::map<std::string, core::PrometheusHandler> handlers;  // metric.prometheus.handlers

  bool global_enabled() const { return !disable_global_rate_limit; }
  bool rls_configmap_valid() const { return !rls_configmap_name.empty() && !rls_configmap_namespace.empty(); }
  // `outbound|<port>||<service>`, or "" when `rls` is incomplete.
  std::string rls_cluster() const;
  bool rev_in_scope(const std::string& rev) const;
};

// Decodes the config; unknown keys in `general` go to `warnings`.
core::Result<LimiterConfig> parse_limiter_config(const core::ModuleConfig& config, std::vector<core::Error>& warnings);

}  // namespace slime::limiter

#pragma once
// The module configuration: the original's `Fence` message (spec §3, all 23 options) decoded from
// `general`, plus the few `global`/`metric` settings the module reads, plus our documented extensions.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/core/selector.h"
#include "slime/modules/lazyload/aliases.h"

namespace slime::lazyload {

struct Dispatch {
  std::string name;
  std::vector<std::string> domains;
  std::string cluster;
  std::string domain_regex;
};

// What a SlimeBoot carries in `spec.component.globalSidecar` (+ `spec.service.logSourcePort`,
// `spec.imagePullSecrets`). Extension: accepted in `general.globalSidecar` so the module can render the
// global sidecar's workload on its own; defaults are those of the original's chart and samples.
struct GlobalSidecarComponent {
  bool enable = true;
  int64_t port = 80;
  int64_t probe_port = 18181;
  int64_t replicas = 1;
  std::string image_repository = "docker.io/slimeio/slime-global-sidecar";
  std::string image_tag = "v0.9.0";
  bool inject_enable = true;
  std::string inject_mode = "pod";
  std::map<std::string, std::string> inject_labels{{"sidecar.istio.io/inject", "true"}};
  std::map<std::string, std::string> inject_annotations;
  core::Json resources;  // null: not set
  core::Json affinity;
  core::Json tolerations;
  core::Json image_pull_secrets;
  bool legacy_filter_name = false;
  int64_t log_source_port = 8082;
};

// TCP lazy loading (extension, docs/lazyload.md "TCP lazy loading"): unknown TCP destinations inside
// `service_cidrs` go to the global sidecar's PROXY-protocol port.
struct TcpLazyloadConfig {
  bool enable = false;
  int64_t port = 16088;
  std::vector<std::string> service_cidrs;  // "10.96.0.0/12", validated
  bool active() const { return enable && !service_cidrs.empty(); }
};

enum class MetricSource { kAccessLog, kPrometheus };

struct FenceConfig {
  // --- the 23 options of the original's Fence message, with their defaults ---
  std::vector<std::string> wormhole_port;                   // 1
  bool auto_fence = false;                                  // 2
  std::vector<std::string> namespaces;                      // 3 (namespace mode)
  std::vector<Dispatch> dispatches;                         // 4
  std::vector<DomainAliases::Rule> domain_alias_rules;      // 5 (as written)
  bool default_fence = false;                               // 6
  bool auto_port = false;                                   // 7
  std::string cluster_gs_namespace;                         // 8
  std::string fence_label_key_alias;                        // 9
  bool enable_short_domain = false;                         // 10
  bool disable_ipv4_passthrough = false;                    // 11 (deprecated, unused)
  bool passthrough_by_default = false;                      // 12
  bool support_h2 = false;                                  // 13
  bool add_env_header_via_lua = false;                      // 14
  std::string global_sidecar_mode;                          // 15 ("" = cluster)
  std::string render;                                       // 16 (internal marker, read and ignored)
  MetricSource metric_source = MetricSource::kAccessLog;    // 17 (default accesslog, see docs)
  bool cleanup_wormhole_port = false;                       // 18
  std::vector<core::LabelSelector> management_selectors;    // 19
  std::optional<std::string> black_namespace_list;          // 20
  std::optional<std::string> white_namespace_list;          // 21
  std::string proxy_version;                                // 22
  std::vector<std::string> stable_host;                     // 23

  // --- extensions ---
  std::optional<std::chrono::seconds> dependency_ttl;       // idle TTL of learned dependencies; unset = never
  // At most this many learned hosts per ServiceFence (maxLearnedHostsPerFence): a flood of made-up Host
  // headers must not grow a fence's status past etcd's object size limit (1.5 MiB; an entry is ~100 bytes).
  int64_t max_learned_hosts = 1000;
  GlobalSidecarComponent global_sidecar;
  TcpLazyloadConfig tcp_lazyload;

  // --- derived / from the rest of the module entry ---
  DomainAliases aliases;                 // compiled domain_alias_rules (empty when they failed to compile)
  std::string fence_label_key;           // from fence_label_key_alias
  std::string fence_label_alias = "app";
  std::vector<std::string> white_list, black_list;  // split namespace lists
  std::string module_name = "lazyload";
  core::GlobalConfig global;
  std::string prometheus_address;
  std::map<std::string, std::string> prometheus_queries;  // handler name -> PromQL

  // The original's chart renders nothing for an empty `general`; neither do we (a default-configured module,
  // e.g. `slime render` without --config, must not invent a global sidecar).
  bool render_global_sidecar = false;

  bool namespace_mode() const { return global_sidecar_mode == "namespace"; }
  // The namespace the cluster-mode global sidecar lives in.
  std::string cluster_gs_ns() const {
    return cluster_gs_namespace.empty() ? global.slime_namespace : cluster_gs_namespace;
  }
};

struct ParsedConfig {
  FenceConfig config;
  std::vector<core::Error> warnings;  // unknown keys, discarded alias rules, ...
};

// Decodes a module entry. Type errors in `general` are fatal (as in the original, which exits); unknown keys
// and alias compile errors are warnings.
core::Result<ParsedConfig> parse_config(const core::ModuleConfig& module);

// Go's time.ParseDuration subset used for dependencyTtl: "90s", "30m", "24h", "1h30m"; or plain seconds.
core::Result<std::chrono::seconds> parse_duration(const core::Json& value);

// "a, b,c" -> {"a","b","c"} (empty items dropped).
std::vector<std::string> split_list(const std::string& s, char sep = ',');

}  // namespace slime::lazyload

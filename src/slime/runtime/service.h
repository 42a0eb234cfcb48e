#pragma once
// Everything `slime run` is, minus flag parsing: picks the cluster (manifest directory, kubeconfig or
// in-cluster), starts the manager, leader election and the admin server, and runs until asked to
// stop or until leadership is lost (then the process exits so the Deployment restarts it as a
// clean standby, as the original does).
#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/module.h"
#include "slime/graph/mesh_graph.h"
#include "slime/runtime/admin_server.h"
#include "slime/runtime/leader_election.h"
#include "slime/runtime/metrics.h"
#include "slime/store/cluster.h"

namespace slime::runtime {

struct ServiceOptions {
  std::string state_dir;   // manifest-directory mode when set
  std::string kubeconfig;  // else kubeconfig, else in-cluster
  std::string context;
  std::string watch_namespace;  // empty: all namespaces
  std::string admin_addr = "127.0.0.1:8081";  // probes and metrics
  // Debug and state-changing endpoints (/debug/config, log level, svfReset). Empty: the admin listener
  // when --admin-addr is loopback, else 127.0.0.1:8083 — never beyond loopback unless named. "off": none.
  std::string debug_addr;
  int workers = 8;  // writes are synchronous: more in flight keeps the API server busy (bench/apiserver)
  double qps = 0;
  int burst = 10;
  bool leader_elect = false;
  LeaderElectionOptions election;
  core::Json debug_config = core::Json::object();  // shown on /debug/config
  // Prometheus address per module (its `metric.prometheus.address`): the module's metric queries are
  // answered from there, refreshed every Module::metric_refresh().
  std::map<const core::Module*, std::string> prometheus;
  // Extra parts that run beside the controllers while this replica leads (e.g. the access-log service
  // feeding lazyload). Each starts once leadership is acquired and returns its stop function; a start
  // error ends the process like any start-up failure.
  using Extension = std::function<core::Result<std::function<void()>>(store::Cluster&)>;
  std::vector<Extension> extensions;
  // Configuration this process cannot carry out (a module kind the build lacks). The controllers for the
  // rest still run, but /readyz answers 503 with these: a pod must not look healthy while doing nothing.
  std::vector<std::string> config_errors;
  // More state-changing debug endpoints (path -> handler), served on the debug listener and only by POST,
  // e.g. lazyload's /<module>/debug/svfReset.
  std::map<std::string, AdminServer::Handler> debug_post_routes;
  // The read-only web view (--ui): /ui, /api/v1/graph, /api/v1/modules, served on the debug listener (loopback
  // unless --debug-addr says otherwise: the page shows every Service and who calls whom). Off: they 404.
  bool ui = false;
  graph::GraphOptions ui_graph;  // how learned dependencies are labelled, their TTL (from lazyload's config)
  // More /metrics families, refreshed before each scrape (e.g. the learning loop's counters).
  std::vector<Metrics::Collector> metric_collectors;
};

// Where the debug endpoints listen for these options: an address, "" when they share the admin listener,
// or "off".
std::string effective_debug_addr(const ServiceOptions& opts);

// Returns the process exit status: 0 after a requested stop, 1 on a start-up failure or lost leadership.
int run_service(const ServiceOptions& opts, const std::vector<core::Module*>& modules, const std::atomic<bool>& stop);

}  // namespace slime::runtime

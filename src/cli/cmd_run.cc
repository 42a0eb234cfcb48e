// slime run: the long-running controller, against a manifest directory or a Kubernetes cluster.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "commands.h"
#include "config_file.h"
#include "slime/graph/mesh_graph.h"
#include "slime/learning/als_extension.h"
#include "slime/learning/learning_loop.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/registry.h"
#include "slime/runtime/service.h"

namespace slime::cli {
namespace {

struct RunArgs {
  runtime::ServiceOptions svc;
  std::string config;
  std::string log_level;
  std::string leader_elect;  // "", "on", "off": empty follows global.misc.enableLeaderElection
  std::string als_addr;      // "", "off" or host:port: empty follows global.misc.logSourcePort
  double lease_s = 15, renew_s = 10, retry_s = 2;
};

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

int run_run(RunArgs args) {
  // Informer, worker and admin threads would each get a glibc malloc arena (up to 8 per core); the
  // caches are allocated by a few threads and read by all, so two arenas keep RSS close to the data.
  mallopt(M_ARENA_MAX, 2);
  // Signals are taken by a dedicated thread (sigwait), so no handler runs inside library code.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::atomic<bool> stop{false};
  std::thread([set, &stop] {
    int sig = 0;
    sigwait(&set, &sig);
    stop = true;
  }).detach();

  if (!args.log_level.empty()) {
    auto l = spdlog::level::from_str(args.log_level);
    spdlog::set_level(l);
  }
  auto cfg = load_config_file(args.config);
  if (!cfg) {
    std::cerr << "error: " << cfg.error().str() << '\n';
    return 2;
  }
  auto instances = modules::instantiate(*cfg);
  if (!instances) {
    std::cerr << "error: " << instances.error().str() << '\n';
    return 2;
  }
  for (const auto& w : instances->warnings) spdlog::warn("config: {}", w.str());
  for (const auto& e : instances->missing) {
    spdlog::error("config: {} (this process stays not ready)", e.str());
    args.svc.config_errors.push_back(e.str());
  }
  std::vector<core::Module*> mods;
  for (auto& m : instances->modules) mods.push_back(m.get());

  auto& svc = args.svc;
  svc.ui_graph = graph::graph_options(instances->configs, {});
  if (svc.state_dir.empty() && svc.kubeconfig.empty() && !std::getenv("KUBERNETES_SERVICE_HOST")) {
    // Neither flag and not in a pod: fall back to $KUBECONFIG like kubectl, else explain.
    svc.kubeconfig = env_or("KUBECONFIG", "");
    if (svc.kubeconfig.empty()) {
      std::cerr << "error: give --state-dir DIR (manifest directory) or --kubeconfig FILE, or run in a pod\n";
      return 2;
    }
  }
  // Defaults from the module configuration, as the original reads them.
  const core::GlobalConfig* global = instances->configs.empty() ? nullptr : &instances->configs.front().global;
  if (global) {
    if (svc.qps <= 0 && global->client_qps > 0) svc.qps = global->client_qps;
    if (global->client_burst > 0) svc.burst = global->client_burst;
  }
  if (args.leader_elect.empty())
    svc.leader_elect = global && global->misc_value("enableLeaderElection") == "on";
  else
    svc.leader_elect = args.leader_elect == "on";
  svc.election.lease_duration = std::chrono::milliseconds(static_cast<long>(args.lease_s * 1000));
  svc.election.renew_deadline = std::chrono::milliseconds(static_cast<long>(args.renew_s * 1000));
  svc.election.retry_period = std::chrono::milliseconds(static_cast<long>(args.retry_s * 1000));
  svc.election.pod_name = env_or("POD_NAME", "");
  svc.election.pod_namespace = env_or("POD_NAMESPACE", env_or("WATCH_NAMESPACE", "default"));
  if (svc.election.lease_namespace.empty()) svc.election.lease_namespace = svc.election.pod_namespace;
  if (svc.watch_namespace.empty()) svc.watch_namespace = env_or("WATCH_NAMESPACE", "");
  svc.debug_config = core::Json::array();
  for (auto& c : instances->configs) svc.debug_config.push_back(c.raw);
  for (size_t i = 0; i < instances->configs.size(); ++i)
    svc.prometheus[instances->modules[i].get()] = instances->configs[i].metric.prometheus_address;
  // Lazyload learning from access logs: serve the access-log service, feed batches straight into ingestion.
  for (size_t i = 0; i < instances->configs.size(); ++i) {
    const auto& mc = instances->configs[i];
    if (mc.effective_kind() != "lazyload" || !mc.enable) continue;
    auto fence = lazyload::parse_config(mc);
    if (!fence) continue;  // the module itself reports its configuration errors
    auto addr = learning::als_address(args.als_addr, fence->config);
    auto handle = std::make_shared<learning::LearningHandle>();
    // The original serves it under the module's name: /lazyload/debug/svfReset?ns=&name=.
    svc.debug_post_routes["/" + (mc.name.empty() ? mc.effective_kind() : mc.name) + "/debug/svfReset"] = [handle](const runtime::AdminRequest& req) {
      auto get = [&](const char* k) {
        auto it = req.query.find(k);
        return it == req.query.end() ? std::string() : it->second;
      };
      auto reply = learning::svf_reset(*handle, get("ns"), get("name"));
      return runtime::AdminResponse{reply.status, reply.body};
    };
    svc.metric_collectors.push_back([handle](runtime::Metrics& m) {
      using T = runtime::Metrics::Type;
      m.describe("slime_lazyload_learned_hosts_dropped_total", T::kCounter,
                 "New hosts a ServiceFence refused at maxLearnedHostsPerFence.");
      m.describe("slime_lazyload_fences_at_learned_hosts_cap_total", T::kCounter,
                 "ServiceFences that reached maxLearnedHostsPerFence (each also gets an Event).");
      m.describe("slime_lazyload_not_mesh_hosts_total", T::kCounter,
                 "Access-log hosts not learned: no mesh Service and no domain alias.");
      auto loop = handle->get();
      if (!loop) return;
      const auto& s = loop->stats();
      m.set("slime_lazyload_learned_hosts_dropped_total", {}, static_cast<double>(s.dropped_at_cap.load()));
      m.set("slime_lazyload_fences_at_learned_hosts_cap_total", {}, static_cast<double>(s.fences_at_cap.load()));
      m.set("slime_lazyload_not_mesh_hosts_total", {}, static_cast<double>(s.not_mesh.load()));
    });
    if (!addr.empty()) svc.extensions.push_back(learning::als_extension(addr, std::move(fence->config), {}, handle));
    break;
  }
  return runtime::run_service(svc, mods, stop);
}

}  // namespace

void add_run_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<RunArgs>();
  args->svc.election.lease_namespace.clear();
  auto* cmd = app.add_subcommand("run", "Run the controller: watch resources and keep the generated objects up to date");
  auto* dir = cmd->add_option("--state-dir", args->svc.state_dir,
                              "Manifest directory: its YAML files are the cluster; Slime writes to DIR/generated/");
  auto* kc = cmd->add_option("--kubeconfig", args->svc.kubeconfig, "kubeconfig of the cluster (default: in-cluster, then $KUBECONFIG)");
  dir->excludes(kc);
  cmd->add_option("--context", args->svc.context, "kubeconfig context (default: current-context)");
  cmd->add_option("--config", args->config, "Module configuration: a module entry, {module: [...]} or a SlimeBoot");
  cmd->add_option("--als-addr", args->als_addr,
                  "Envoy access-log service address for lazyload learning (default: global.misc.logSourcePort, "
                  "':8082'; 'off' disables)");
  cmd->add_option("--admin-addr", args->svc.admin_addr, "Admin HTTP address: health, readiness, metrics")
      ->capture_default_str();
  cmd->add_option("--debug-addr", args->svc.debug_addr,
                  "Debug HTTP address: /debug/config, log level, svfReset (POST). Default: the admin address when "
                  "that is loopback, else 127.0.0.1:8083; 'off' disables");
  cmd->add_flag("--ui", args->svc.ui,
                "Serve the read-only mesh view on the debug listener: /ui, /api/v1/graph, /api/v1/modules (docs/ui.md)");
  cmd->add_option("--namespace", args->svc.watch_namespace, "Only watch this namespace (default: all; env WATCH_NAMESPACE)");
  cmd->add_option("--workers", args->svc.workers, "Reconcile workers per module")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--qps", args->svc.qps, "Client-side API request limit (default: unthrottled)");
  cmd->add_option("--burst", args->svc.burst, "Client-side burst with --qps")->capture_default_str();
  cmd->add_option("--leader-elect", args->leader_elect, "Lease leader election (default: global.misc.enableLeaderElection)")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_option("--leader-election-id", args->svc.election.lease_name, "Lease name")->capture_default_str();
  cmd->add_option("--leader-election-namespace", args->svc.election.lease_namespace,
                  "Lease namespace (default: POD_NAMESPACE, else default)");
  cmd->add_option("--lease-duration", args->lease_s, "Seconds a lease is valid without renewal")->capture_default_str();
  cmd->add_option("--renew-deadline", args->renew_s, "Seconds a leader keeps trying to renew before stepping down")
      ->capture_default_str();
  cmd->add_option("--retry-period", args->retry_s, "Seconds between election attempts")->capture_default_str();
  cmd->add_option("--log-level", args->log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  cmd->callback([args, &run] { run = [args] { return run_run(*args); }; });
}

}  // namespace slime::cli

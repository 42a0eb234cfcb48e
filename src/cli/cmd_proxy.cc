// slime proxy: the global-sidecar fallback proxy (spec §6.6), optionally reporting each forwarded call to
// an access-log service (the controller's learning input) so lazy loading learns without Envoy logs.
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "commands.h"
#include "slime/kube/client.h"
#include "slime/kube/cluster_config.h"
#include "slime/metric/accesslog/accesslog_reporter.h"
#include "slime/proxy/cluster_mesh_source.h"
#include "slime/proxy/server.h"
#include "slime/proxy/wormhole_ports.h"
#include "slime/runtime/kube_cluster.h"
#include "slime/store/manifest_dir.h"

namespace slime::cli {
namespace {

struct ProxyArgs {
  proxy::ProxyOptions opts;
  std::vector<std::string> listen;
  std::vector<std::string> tcp_listen;
  std::string state_dir;
  std::string kubeconfig, context;
  std::string report;
  std::string log_level;
  std::string wormhole_configmap;
  bool cleanup_wormhole_ports = false;
  bool wormhole_port_priority = false;
  double connect_timeout_s = 10, header_timeout_s = 30, idle_timeout_s = 90, response_timeout_s = 0;
  double proxy_header_timeout_s = 5, tcp_idle_timeout_s = 3600;
};

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::chrono::milliseconds ms(double seconds) { return std::chrono::milliseconds(static_cast<long>(seconds * 1000)); }

int run_proxy(ProxyArgs& args) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  std::string level = args.log_level.empty() ? env("LOG_LEVEL") : args.log_level;
  if (!level.empty()) spdlog::set_level(spdlog::level::from_str(level));

  auto& opts = args.opts;
  if (!args.listen.empty()) opts.listen = args.listen;
  // TCP lazy loading: lazyload's global-sidecar Deployment sets SLIME_TCP_LISTEN (comma-separated).
  opts.tcp_listen = args.tcp_listen;
  if (opts.tcp_listen.empty())
    for (auto addr = env("SLIME_TCP_LISTEN"); !addr.empty();) {
      auto comma = addr.find(',');
      if (auto item = addr.substr(0, comma); !item.empty()) opts.tcp_listen.push_back(item);
      addr = comma == std::string::npos ? std::string() : addr.substr(comma + 1);
    }
  // The original's environment, where a flag was not given.
  if (opts.probe_addr.empty() && !env("PROBE_PORT").empty()) opts.probe_addr = "0.0.0.0:" + env("PROBE_PORT");
  opts.rules.wormhole_port_priority = args.wormhole_port_priority || env("WORMHOLE_PORT_PRIOR_TO_HOST_PORT") == "true";
  opts.connect_timeout = ms(args.connect_timeout_s);
  opts.header_timeout = ms(args.header_timeout_s);
  opts.idle_timeout = ms(args.idle_timeout_s);
  opts.response_timeout = ms(args.response_timeout_s);
  opts.proxy_header_timeout = ms(args.proxy_header_timeout_s);
  opts.tcp_idle_timeout = ms(args.tcp_idle_timeout_s);

  std::unique_ptr<metric::AccessLogReporter> reporter;
  if (!args.report.empty()) {
    reporter = std::make_unique<metric::AccessLogReporter>(metric::AccessLogReporter::Options{.target = args.report});
    opts.on_call = [r = reporter.get()](const proxy::CallRecord& c) {
      r->report(metric::ReportedCall{c.source_ip, c.source_port, c.listen_port, c.authority, c.path, c.status, c.tcp});
    };
  }

  proxy::ProxyServer server(opts);
  auto set_mesh = [&server](std::shared_ptr<const proxy::MeshIndex> m) { server.set_mesh(std::move(m)); };
  bool in_cluster = args.kubeconfig.empty() && args.state_dir.empty() && !env("KUBERNETES_SERVICE_HOST").empty() &&
                    env("DISABLE_SVC_CONTROLLER") != "true";
  bool use_kube = !args.kubeconfig.empty() || in_cluster;

  // The global-sidecar ConfigMap naming the wormhole ports: lazyload writes it into the global sidecar's
  // namespace, which is the proxy pod's own ($POD_NAMESPACE) in the original's deployment.
  std::optional<core::ObjectKey> wormhole_key;
  if (args.wormhole_configmap != "off" && (use_kube || !args.state_dir.empty())) {
    std::string default_ns = env("POD_NAMESPACE").empty() ? "mesh-operator" : env("POD_NAMESPACE");
    auto key = proxy::parse_config_map_ref(args.wormhole_configmap.empty() ? "global-sidecar" : args.wormhole_configmap,
                                           default_ns);
    if (!key) {
      std::cerr << "error: " << key.error().str() << '\n';
      return 2;
    }
    wormhole_key = *key;
  } else if (!args.wormhole_configmap.empty() && args.wormhole_configmap != "off") {
    spdlog::warn("proxy: --wormhole-configmap needs --state-dir or --kubeconfig; only --listen ports are served");
  }

  // Sources: the manifest directory (inotify) or the API server (watches). Subscribers (mesh, wormhole
  // ports) register before the sources start feeding.
  std::unique_ptr<kube::Client> kube_client;
  std::unique_ptr<store::Cluster> mesh_cluster;  // Services and Endpoints (and, for a directory, everything)
  std::unique_ptr<store::Cluster> cm_cluster;    // Kubernetes: ConfigMaps of the wormhole ConfigMap's namespace
  if (!args.state_dir.empty()) {
    mesh_cluster = std::make_unique<store::ManifestDirCluster>(args.state_dir);
  } else if (use_kube) {
    // The original's Service informer over all namespaces; Endpoints too, for pod-IP destinations.
    auto cfg = in_cluster ? kube::in_cluster_config() : kube::load_kubeconfig(args.kubeconfig, args.context);
    if (!cfg) {
      std::cerr << "error: cannot configure the Kubernetes client: " << cfg.error().str() << '\n';
      return 2;
    }
    kube_client = std::make_unique<kube::Client>(*cfg);
    mesh_cluster = std::make_unique<runtime::KubeCluster>(*kube_client);
    if (wormhole_key) cm_cluster = std::make_unique<runtime::KubeCluster>(*kube_client, wormhole_key->ns);
  } else if (opts.rules.allow_any_destination) {
    spdlog::warn("proxy: OPEN RELAY: --allow-any-destination and no service list: forwarding every request to any "
                 "host and port it names; use only where every client is trusted");
  } else {
    spdlog::warn("proxy: no service list (--state-dir, --kubeconfig): every request is refused (503); "
                 "--allow-any-destination forwards to any host instead");
  }
  if (mesh_cluster && opts.rules.allow_any_destination)
    spdlog::warn("proxy: --allow-any-destination has no effect with a service list: only mesh services are reached");
  std::unique_ptr<proxy::ClusterMeshSource> mesh_source;
  if (mesh_cluster) {
    mesh_source = std::make_unique<proxy::ClusterMeshSource>(*mesh_cluster, set_mesh);
    mesh_source->set_tcp_sink([&server](std::shared_ptr<const proxy::TcpRoutes> r) { server.set_tcp_routes(std::move(r)); });
  } else if (!opts.tcp_listen.empty()) {
    spdlog::warn("proxy: --tcp-listen without a service list refuses every connection (TCP is never relayed blindly)");
  }
  std::unique_ptr<proxy::WormholeListeners> wormhole;
  if (wormhole_key) {
    auto& store = cm_cluster ? cm_cluster->store() : mesh_cluster->store();
    bool cleanup = args.cleanup_wormhole_ports || env("CLEAN_UP_WORMHOLE_PORT") == "true";
    wormhole = std::make_unique<proxy::WormholeListeners>(store, *wormhole_key, server, cleanup);
  }
  if (mesh_source) {
    if (auto r = mesh_source->start(std::chrono::seconds(60)); !r) {
      std::cerr << "error: " << r.error().str() << '\n';
      return use_kube ? 1 : 2;
    }
  }
  if (cm_cluster) {
    // Not fatal: without the ConfigMap (or the right to read it) the --listen ports still serve, and the
    // watch keeps retrying.
    if (auto r = cm_cluster->start({{"", "ConfigMap"}}); !r)
      spdlog::warn("proxy: cannot watch ConfigMaps in {}: {}", wormhole_key->ns, r.error().str());
    else if (!cm_cluster->wait_synced(std::chrono::seconds(30)))
      spdlog::warn("proxy: ConfigMaps of {} not listed yet; wormhole ports follow when they are", wormhole_key->ns);
  }
  if (auto r = server.start(); !r) {
    std::cerr << "error: " << r.error().str() << '\n';
    return 1;
  }
  if (wormhole) wormhole->activate();
  for (size_t i = 0; i < opts.listen.size(); ++i)
    spdlog::info("proxy: listening addr={} port={}", opts.listen[i], server.ports()[i]);
  for (size_t i = 0; i < opts.tcp_listen.size(); ++i)
    spdlog::info("proxy: listening addr={} port={} (TCP, PROXY protocol)", opts.tcp_listen[i], server.tcp_ports()[i]);
  if (server.probe_port()) spdlog::info("proxy: probe listening port={}", server.probe_port());
  if (reporter) spdlog::info("proxy: reporting calls to access-log service target={}", args.report);

  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("proxy: shutting down");
  if (cm_cluster) cm_cluster->stop();
  if (mesh_source) mesh_source->stop();
  server.stop();
  if (reporter) reporter->flush(std::chrono::seconds(2));
  return 0;
}

}  // namespace

void add_proxy_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<ProxyArgs>();
  auto* cmd = app.add_subcommand("proxy", "Run the global-sidecar proxy: the fallback hop that forwards calls to "
                                          "services a caller's Sidecar does not know yet");
  cmd->add_option("--listen", args->listen, "Listen address host:port (repeatable; default 0.0.0.0:80)");
  cmd->add_option("--tcp-listen", args->tcp_listen,
                  "TCP listen address host:port (repeatable; default: $SLIME_TCP_LISTEN): connections start with a "
                  "PROXY protocol v1/v2 header naming the caller and the mesh service address it dialled (TCP lazy "
                  "loading); only mesh Service ports are relayed");
  cmd->add_option("--proxy-header-timeout", args->proxy_header_timeout_s,
                  "Seconds for a TCP connection to send its PROXY header")
      ->capture_default_str();
  cmd->add_option("--tcp-idle-timeout", args->tcp_idle_timeout_s,
                  "Seconds a relayed TCP connection may go without a byte either way")
      ->capture_default_str();
  cmd->add_option("--probe-addr", args->opts.probe_addr,
                  "Health probe address: 200 on every path (default: 0.0.0.0:$PROBE_PORT when set)");
  auto* dir = cmd->add_option("--state-dir", args->state_dir,
                              "Manifest directory whose Services/Endpoints are the only allowed destinations");
  auto* kc = cmd->add_option("--kubeconfig", args->kubeconfig,
                             "kubeconfig of the cluster whose Services/Endpoints are the allowed destinations "
                             "(in a pod: in-cluster unless DISABLE_SVC_CONTROLLER=true)");
  cmd->add_option("--context", args->context, "kubeconfig context (default: current-context)");
  dir->excludes(kc);
  cmd->add_option("--wormhole-configmap", args->wormhole_configmap,
                  "[NAMESPACE/]NAME of the ConfigMap listing the wormhole ports (data.cfg: wormholePorts), watched "
                  "with --state-dir or --kubeconfig; a listener opens for each port (default: global-sidecar in "
                  "$POD_NAMESPACE, else mesh-operator; 'off': only --listen)");
  cmd->add_flag("--cleanup-wormhole-ports", args->cleanup_wormhole_ports,
                "Close the listener of a port that leaves the ConfigMap (env CLEAN_UP_WORMHOLE_PORT=true)");
  cmd->add_option("--wormhole-listen-host", args->opts.dynamic_listen_host,
                  "Address the wormhole-port listeners bind")
      ->capture_default_str();
  cmd->add_option("--report", args->report,
                  "Access-log service host:port to report each forwarded call to (the controller's --als-addr)");
  cmd->add_flag("--allow-any-destination", args->opts.rules.allow_any_destination,
                "Without --state-dir/--kubeconfig, forward to any host and port (an open relay, logged as a warning; "
                "default: refuse every request)");
  cmd->add_flag("--trust-forwarded-for", args->opts.trust_forwarded_for,
                "Report the first X-Forwarded-For hop as the caller instead of the peer address");
  cmd->add_flag("--wormhole-port-priority", args->wormhole_port_priority,
                "Dial the listener's port instead of the Host's (env WORMHOLE_PORT_PRIOR_TO_HOST_PORT=true)");
  cmd->add_option("--threads", args->opts.threads, "I/O threads")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--max-header-bytes", args->opts.max_header_bytes, "Largest request head accepted (431 beyond)")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", args->opts.max_body_bytes, "Largest request body accepted (413 beyond)")
      ->capture_default_str();
  cmd->add_option("--max-connections", args->opts.max_connections, "Open downstream connections at most")
      ->capture_default_str();
  cmd->add_option("--max-idle-per-host", args->opts.max_idle_upstream_per_host,
                  "Idle upstream connections kept per destination")
      ->capture_default_str();
  cmd->add_option("--connect-timeout", args->connect_timeout_s, "Seconds to connect upstream (504 beyond)")
      ->capture_default_str();
  cmd->add_option("--header-timeout", args->header_timeout_s, "Seconds for a client to send a request head")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", args->idle_timeout_s, "Seconds an idle keep-alive connection is kept")
      ->capture_default_str();
  cmd->add_option("--response-timeout", args->response_timeout_s,
                  "Seconds to wait for a response head (0: no limit, as the original)")
      ->capture_default_str();
  cmd->add_option("--log-level", args->log_level, "trace, debug, info, warn, error (default: $LOG_LEVEL or info)");
  cmd->callback([&run, args] { run = [args] { return run_proxy(*args); }; });
}

}  // namespace slime::cli

#include "slime/runtime/service.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <thread>

#include "slime/kube/client.h"
#include "slime/kube/cluster_config.h"
#include "slime/metric/prometheus_client.h"
#include "slime/runtime/admin_server.h"
#include "slime/runtime/kube_cluster.h"
#include "slime/runtime/manager.h"
#include "slime/runtime/metrics.h"
#include "slime/runtime/ui_routes.h"
#include "slime/store/manifest_dir.h"

namespace slime::runtime {
namespace {

const std::vector<std::string> kRead = {"GET", "HEAD"};

// Probes and metrics: what kubelet and Prometheus need, safe to expose on the pod network.
void add_probe_routes(AdminServer& admin, Manager& manager, Metrics& metrics, kube::Client* client,
                      KubeCluster* kube_cluster, store::ManifestDirCluster* dir_cluster, const ServiceOptions& opts) {
  auto ok = [](const AdminRequest&) { return AdminResponse{200, "ok\n"}; };
  admin.route("/healthz", ok, kRead);
  admin.route("/livez", ok, kRead);
  admin.route("/modules/livez", ok, kRead);
  auto ready = [&manager, &opts](const AdminRequest&) {
    if (!opts.config_errors.empty()) {
      std::string body = "not ready: configuration cannot be carried out\n";
      for (const auto& e : opts.config_errors) body += e + "\n";
      return AdminResponse{503, body};
    }
    if (manager.ready()) return AdminResponse{200, "ok\n"};
    return AdminResponse{503, "not ready: caches not synced\n"};
  };
  admin.route("/readyz", ready, kRead);
  admin.route("/modules/readyz", ready, kRead);
  metrics.describe("slime_api_requests_total", Metrics::Type::kCounter, "Kubernetes API requests by verb and HTTP code.");
  metrics.describe("slime_watch_restarts_total", Metrics::Type::kCounter, "Watches re-established after an error or expiry.");
  metrics.add_collector([client, kube_cluster, dir_cluster](Metrics& m) {
    if (client)
      for (auto& [k, v] : client->stats().snapshot())
        m.set("slime_api_requests_total", {{"verb", k.first}, {"code", std::to_string(k.second)}}, static_cast<double>(v));
    if (kube_cluster) m.set("slime_watch_restarts_total", {}, static_cast<double>(kube_cluster->watch_restarts()));
    if (dir_cluster) m.set("slime_manifest_rescans_total", {}, static_cast<double>(dir_cluster->rescans()));
  });
  admin.route(
      "/metrics",
      [&metrics](const AdminRequest&) {
        return AdminResponse{200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8"};
      },
      kRead);
}

// Debug and state-changing endpoints: loopback unless --debug-addr says otherwise; changes only by POST
// (a GET can be triggered by anything that fetches a URL: a crawler, a link, an <img>).
void add_debug_routes(AdminServer& admin, Manager& manager, store::ManifestDirCluster* dir_cluster,
                      const ServiceOptions& opts, LeaderElector* elector) {
  admin.route("/debug/config", [&opts, &manager, dir_cluster, elector](const AdminRequest&) {
    core::Json doc = {{"config", opts.debug_config},
                      {"source", manager.cluster().describe()},
                      {"watchNamespace", opts.watch_namespace},
                      {"ready", manager.ready()},
                      {"leading", manager.leading()},
                      {"leaderElection", opts.leader_elect},
                      {"configErrors", opts.config_errors}};
    if (elector) doc["identity"] = elector->identity();
    doc["modules"] = core::Json::array();
    for (auto& c : manager.controllers()) doc["modules"].push_back(c->kind());
    if (dir_cluster) {
      doc["loadErrors"] = core::Json::array();
      for (auto& e : dir_cluster->load_errors()) doc["loadErrors"].push_back(e.str());
      doc["problems"] = dir_cluster->problems();
    }
    return AdminResponse{200, doc.dump(2) + "\n", "application/json"};
  }, kRead);
  // GET shows the level; POST ?level=debug (or the level as the body) changes it while running.
  auto log_level = [](const AdminRequest& req) {
    if (req.method == "POST") {
      auto it = req.query.find("level");
      std::string level = it != req.query.end() ? it->second : req.body;
      while (!level.empty() && (level.back() == '\n' || level.back() == ' ')) level.pop_back();
      auto l = spdlog::level::from_str(level);
      if (l == spdlog::level::off && level != "off") return AdminResponse{400, "unknown level '" + level + "'\n"};
      spdlog::set_level(l);
      spdlog::info("log level changed level={}", level);
    }
    auto sv = spdlog::level::to_string_view(spdlog::get_level());
    return AdminResponse{200, std::string(sv.data(), sv.size()) + "\n"};
  };
  admin.route("/debug/loglevel", log_level, {"GET", "HEAD", "POST"});
  admin.route("/log/level", log_level, {"GET", "HEAD", "POST"});
  for (const auto& [path, handler] : opts.debug_post_routes) admin.route(path, handler, {"POST"});
  if (opts.ui) add_ui_routes(admin, manager.cluster().store(), opts.ui_graph);
}

}  // namespace

std::string effective_debug_addr(const ServiceOptions& opts) {
  if (opts.debug_addr == "off") return "off";
  if (!opts.debug_addr.empty()) return opts.debug_addr == opts.admin_addr ? "" : opts.debug_addr;
  if (opts.admin_addr.empty()) return "off";
  return is_loopback_addr(opts.admin_addr) ? "" : "127.0.0.1:8083";
}

int run_service(const ServiceOptions& opts, const std::vector<core::Module*>& modules, const std::atomic<bool>& stop) {
  Metrics metrics;
  std::unique_ptr<kube::Client> client;
  std::unique_ptr<store::Cluster> cluster;
  KubeCluster* kube_cluster = nullptr;
  store::ManifestDirCluster* dir_cluster = nullptr;

  if (!opts.state_dir.empty()) {
    auto c = std::make_unique<store::ManifestDirCluster>(opts.state_dir);
    dir_cluster = c.get();
    cluster = std::move(c);
  } else {
    auto cfg = opts.kubeconfig.empty() ? kube::in_cluster_config() : kube::load_kubeconfig(opts.kubeconfig, opts.context);
    if (!cfg) {
      spdlog::error("cannot configure the Kubernetes client: {}", cfg.error().str());
      return 1;
    }
    client = std::make_unique<kube::Client>(*cfg, opts.qps, opts.burst);
    auto c = std::make_unique<KubeCluster>(*client, opts.watch_namespace);
    kube_cluster = c.get();
    cluster = std::move(c);
  }

  ControllerOptions copts;
  copts.workers = opts.workers;
  Manager manager(*cluster, modules, metrics, copts);
  for (const auto& [module, address] : opts.prometheus) {
    if (address.empty()) continue;
    metric::PrometheusOptions popts;
    popts.address = address;
    auto client = std::make_shared<metric::PrometheusClient>(popts);
    auto query = [client](const std::string& promql) { return client->query(promql); };
    manager.set_metric_feed(module, std::make_unique<MetricFeed>(query, module->metric_refresh()));
    spdlog::info("metric source module={} prometheus={} refresh={}s", module->kind(), address,
                 std::chrono::duration<double>(module->metric_refresh()).count());
  }

  std::unique_ptr<LeaderElector> elector;
  std::atomic<bool> lost{false};
  if (opts.leader_elect && client) {
    elector = std::make_unique<LeaderElector>(
        *client, opts.election, [&manager] { manager.set_leading(true); },
        // Stepping down because we were asked to stop is not "lost".
        [&lost, &stop] {
          if (!stop) lost = true;
        });
  }

  for (const auto& c : opts.metric_collectors) metrics.add_collector(c);
  AdminServer admin, debug;
  if (opts.ui && effective_debug_addr(opts) == "off") {
    spdlog::error("--ui serves the page on the debug listener, which is off: give --debug-addr");
    return 1;
  }
  add_probe_routes(admin, manager, metrics, client.get(), kube_cluster, dir_cluster, opts);
  const std::string debug_addr = effective_debug_addr(opts);
  if (debug_addr != "off") add_debug_routes(debug_addr.empty() ? admin : debug, manager, dir_cluster, opts, elector.get());
  if (!opts.admin_addr.empty()) {
    if (auto r = admin.start(opts.admin_addr); !r) {
      spdlog::error("admin server: {}", r.error().str());
      return 1;
    }
    spdlog::info("admin server listening addr={} port={}", opts.admin_addr, admin.port());
  }
  if (debug.has_routes()) {
    if (auto r = debug.start(debug_addr, "--debug-addr"); !r) {
      spdlog::error("debug server: {}", r.error().str());
      admin.stop();
      return 1;
    }
    if (!is_loopback_addr(debug_addr))
      spdlog::warn("debug server listens beyond loopback addr={}: anyone who reaches it can reset learned "
                   "dependencies and change the log level",
                   debug_addr);
    spdlog::info("debug server listening addr={} port={}", debug_addr, debug.port());
  }

  if (auto r = manager.start(); !r) {
    spdlog::error("start failed: {}", r.error().str());
    admin.stop();
    debug.stop();
    manager.stop();
    return 1;
  }
  if (dir_cluster)
    for (auto& e : dir_cluster->load_errors()) spdlog::warn("manifest problem: {}", e.str());

  if (elector) elector->start();
  else manager.set_leading(true);

  bool swept = false;
  bool extensions_started = false;
  std::vector<std::function<void()>> stop_extensions;
  while (!stop && !lost) {
    if (!extensions_started && manager.leading()) {
      extensions_started = true;
      for (const auto& ext : opts.extensions) {
        auto started = ext(*cluster);
        if (!started) {
          spdlog::error("start failed: {}", started.error().str());
          lost = true;  // leaves the loop and exits 1
          break;
        }
        stop_extensions.push_back(std::move(*started));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // Once the first full pass is done, everything still owned has been rendered again.
    if (!swept && manager.leading() && manager.idle()) {
      manager.sweep_orphans();
      swept = true;
    }
  }
  spdlog::info("shutting down reason={}", lost ? "leadership lost" : "signal");
  for (auto& stop_ext : stop_extensions) stop_ext();
  if (elector) elector->stop();  // releases the lease first: a standby takes over at once
  manager.stop();
  admin.stop();
  debug.stop();
  return lost ? 1 : 0;
}

}  // namespace slime::runtime

// Istio in the loop: everything Slime writes is read by a real istiod, and the tests look at what a
// proxy receives. One apiserver, one istiod, one `slime run` (lazyload + limiter + plugin + canary) and one
// `slime proxy` for the whole program (starting them takes seconds); tests use their own workloads.
//
// Workloads are xds-probe processes with real node identities whose Pods exist with podIP, Running
// and Ready, so istiod gives them inbound config and matches workloadSelectors (tools/xds-probe).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mesh_env.h"

namespace slime::mesh {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kNs = "app";
constexpr int kDestinations = 12;  // services the unfenced proxy sees and the fenced one must not

// Lazyload learns from the access-log service (TCP lazy loading on for the envtest's service range); the limiter's global limits name an RLS; the plugin
// module needs nothing. autoFence without defaultFence: only Services labelled fenced get a Sidecar. The
// canary module has no Prometheus: its analyses get no answers, so a release holds at its first step.
constexpr const char* kSlimeConfig = R"(module:
- name: lazyload
  kind: lazyload
  enable: true
  general:
    wormholePort: ["9080"]
    globalSidecarMode: cluster
    metricSourceType: accesslog
    autoFence: true
    defaultFence: false
    tcpLazyload: {enable: true, serviceCidrs: [10.96.0.0/16]}  # tools/envtest's --service-cluster-ip-range
  global: {istioNamespace: istio-system, slimeNamespace: mesh-operator}
- name: limiter
  kind: limiter
  enable: true
  general:
    disableAdaptive: true
    rlsConfigMap: {name: rate-limit-config, namespace: istio-system}
    rls: {service: rate-limit.istio-system.svc.cluster.local, port: 18081}
  global: {istioNamespace: istio-system}
- name: plugin
  kind: plugin
  enable: true
- name: canary
  kind: canary
  enable: true
)";

std::string dst(int i) { return "svc-" + std::to_string(i); }
std::string fqdn(const std::string& svc) { return svc + "." + kNs + ".svc.cluster.local"; }
std::string outbound(const std::string& svc, int port = 9080) {
  return "outbound|" + std::to_string(port) + "||" + fqdn(svc);
}

// The global state of the program (a gtest Environment owns it).
struct World {
  std::unique_ptr<MeshEnv> env;
  Child slime_run, slime_proxy;
  std::unique_ptr<LoopbackHttpServer> backend;
  int proxy_port = 0;
  fs::path dir;
};
World* g_world = nullptr;

// What `slime proxy` may forward to: the learnable destination, served by a loopback backend. The
// apiserver refuses loopback endpoints, so the proxy reads this manifest while istiod and `slime run`
// see the same Service in the apiserver.
std::string proxy_mesh_manifest(int backend_port) {
  return std::string(R"(apiVersion: v1
kind: Service
metadata: {name: learn-0, namespace: app}
spec:
  clusterIP: None
  selector: {app: learn-0}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: learn-0, namespace: app}
subsets:
- addresses: [{ip: 127.0.0.1}]
  ports: [{name: http, port: )") +
         std::to_string(backend_port) + "}]\n";
}

core::Result<void> start_world(World& w) {
  auto env = MeshEnv::start();
  if (!env) return std::unexpected(env.error());
  w.env = std::move(*env);
  w.dir = w.env->dir();
  MeshEnv& e = *w.env;
  if (auto r = e.ensure_namespace(kNs); !r) return r;
  // The RLS ConfigMap global limits are written into, and its Service (istiod needs the cluster).
  if (auto r = e.apply_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: rate-limit-config, namespace: istio-system}\n"
                            "data: {config.yaml: 'domain: slime'}\n");
      !r)
    return r;
  if (auto r = e.add_workload({.ns = "istio-system", .name = "rate-limit", .ip = "10.30.9.1", .labels = {{"app", "rate-limit"}},
                               .ports = {{"grpc-rls", 18081, 0}}, .with_pod = false});
      !r)
    return r;
  for (int i = 0; i < kDestinations; ++i)
    if (auto r = e.add_workload({.ns = kNs, .name = dst(i), .ip = "10.30.1." + std::to_string(i + 1),
                                 .labels = {{"app", dst(i)}}, .ports = {{"http-web", 9080, 0}}, .with_pod = false});
        !r)
      return r;
  if (auto r = e.add_workload({.ns = kNs, .name = "learn-0", .ip = "10.30.2.1", .labels = {{"app", "learn-0"}},
                               .ports = {{"http-web", 9080, 0}}, .with_pod = false});
      !r)
    return r;

  auto als = e.start_slime_run(w.slime_run, kSlimeConfig);
  if (!als) return std::unexpected(als.error());
  w.backend = std::make_unique<LoopbackHttpServer>();
  if (w.backend->port() == 0) return core::fail("cannot listen on 127.0.0.1");
  auto port = e.start_slime_proxy(w.slime_proxy, proxy_mesh_manifest(w.backend->port()), *als);
  if (!port) return std::unexpected(port.error());
  w.proxy_port = *port;
  return {};
}

class MeshEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_world = new World();
    auto r = start_world(*g_world);
    ASSERT_TRUE(r.has_value()) << r.error().str();
  }
  void TearDown() override {
    // SLIME_ENVTEST_KEEP=1 keeps the directory (istiod.log, slime-run.log, probe logs) for a post-mortem.
    delete g_world;
    g_world = nullptr;
  }
};

MeshEnv& env() { return *g_world->env; }

// A workload with its proxy: Pod + Service + endpoints, then a probe with the same identity.
std::unique_ptr<Probe> start_workload(const Workload& w, const std::map<std::string, std::string>& meta = {},
                                      const std::map<std::string, std::string>& service_labels = {}) {
  Workload copy = w;
  copy.service_labels = service_labels;
  auto added = env().add_workload(copy);
  EXPECT_TRUE(added.has_value()) << added.error().str();
  auto probe = std::make_unique<Probe>();
  Probe::Options o{.ns = w.ns, .pod = w.name, .ip = w.ip, .labels = w.labels, .meta = meta};
  auto started = probe->start(env().xds_addr(), o, g_world->dir / ("probe-" + w.name + ".log"));
  EXPECT_TRUE(started.has_value()) << started.error().str();
  return probe;
}

std::vector<std::string> names_of(const Json& resources) {
  std::vector<std::string> out;
  for (const auto& r : resources) out.push_back(r.value("name", ""));
  return out;
}

// The HTTP filter names of the first chain of `listener` (exact listener name) that has an HCM.
std::vector<std::string> http_filters(const Probe& p, const std::string& listener) {
  auto chains = p.chains();
  if (!chains) return {};
  for (const auto& c : *chains)
    if (c.value("listener", "") == listener) return c.value("filters", std::vector<std::string>{});
  return {};
}

const Json* find_by_name(const Json& list, const std::string& name) {
  for (const auto& r : list)
    if (r.value("name", "") == name) return &r;
  return nullptr;
}

// ---- lazyload -------------------------------------------------------------------------------------

TEST(MeshLazyload, FencedProxyGetsOnlyItsSidecarsServicesAndUnknownHostsGoToTheGlobalSidecar) {
  // The global sidecar's Pod behind the Service lazyload writes (mesh-operator/global-sidecar).
  auto gs = start_workload({.ns = "mesh-operator", .name = "global-sidecar", .ip = "10.30.0.2",
                            .labels = {{"app", "global-sidecar"}},
                            .ports = {{"http-9080", 9080, 0}, {"http-80", 80, 0}}, .with_service = false},
                           {{"SLIME_APP", "LAZYLOAD_GLOBAL_SIDECAR"}});
  auto plain = start_workload({.ns = kNs, .name = "plain", .ip = "10.30.0.11", .labels = {{"app", "plain"}},
                               .ports = {{"http-web", 9080, 0}}});
  auto caller = start_workload({.ns = kNs, .name = "caller", .ip = "10.30.0.10", .labels = {{"app", "caller"}},
                                .ports = {{"http-web", 9080, 0}}},
                               {}, {{"slime.io/serviceFenced", "true"}});

  // The unfenced proxy sees every destination; the fenced one loses them once its Sidecar lands.
  auto all = plain->wait({"cluster:" + outbound(dst(kDestinations - 1)), "cluster:" + outbound(dst(0))}, 60s);
  ASSERT_TRUE(all.has_value()) << all.error().str() << plain->log();
  auto scoped = caller->wait({"cluster:outbound|9080||global-sidecar.mesh-operator.svc.cluster.local",
                              "no-cluster:" + outbound(dst(0))},
                             60s);
  ASSERT_TRUE(scoped.has_value()) << scoped.error().str() << "\n" << g_world->slime_run.log();
  auto clusters = caller->config("cds");
  ASSERT_TRUE(clusters.has_value());
  for (const auto& name : names_of(*clusters)) {
    // Outbound clusters may only be the Sidecar's hosts (istio-system/*, mesh-operator/*); inbound and
    // Istio's own (BlackHole, Passthrough, InboundPassthrough…) stay.
    if (name.rfind("outbound|", 0) != 0) continue;
    EXPECT_TRUE(name.ends_with(".istio-system.svc.cluster.local") || name.ends_with(".mesh-operator.svc.cluster.local"))
        << "fenced proxy received " << name;
  }
  auto plain_stats = plain->stats(), caller_stats = caller->stats();
  ASSERT_TRUE(plain_stats && caller_stats);
  long plain_bytes = (*plain_stats)["proxies"][0].value("bytes", 0L);
  long caller_bytes = (*caller_stats)["proxies"][0].value("bytes", 0L);
  std::cout << "xDS bytes: unfenced " << plain_bytes << ", fenced " << caller_bytes << " (" << kDestinations
            << " other services)\n";
  EXPECT_LT(caller_bytes, plain_bytes);

  // to-global-sidecar: in the fenced proxy's route "9080" every unknown host goes to the global sidecar,
  // with the original destination and the caller's namespace in headers.
  auto routed = caller->wait({"vhost:allow_all", "text@rds:Slime-Orig-Dest"}, 30s);
  ASSERT_TRUE(routed.has_value()) << routed.error().str();
  auto routes = caller->config("rds");
  ASSERT_TRUE(routes.has_value());
  const Json* r9080 = find_by_name(*routes, "9080");
  ASSERT_NE(r9080, nullptr);
  bool to_gs = false, allow_any_left = false;
  for (const auto& vh : r9080->value("virtualHosts", Json::array())) {
    if (vh.value("name", "") == "allow_any") allow_any_left = true;
    if (vh.value("name", "") != "allow_all") continue;
    EXPECT_EQ(vh["domains"], Json::array({"*"}));
    to_gs = vh["routes"][0]["route"].value("cluster", "") == "outbound|80||global-sidecar.mesh-operator.svc.cluster.local";
  }
  EXPECT_TRUE(to_gs) << r9080->dump();
  EXPECT_FALSE(allow_any_left) << "the allow_any virtual host should have been removed";

  // The global sidecar gets its own: passthrough for what it forwards, and the access log to Slime.
  auto gs_own = gs->wait({"vhost:allow_any_new", "text@lds:http_envoy_accesslog"}, 30s);
  EXPECT_TRUE(gs_own.has_value()) << gs_own.error().str();
  auto gs_routes = gs->config("rds");
  ASSERT_TRUE(gs_routes.has_value());
  if (const Json* g9080 = find_by_name(*gs_routes, "9080")) {
    for (const auto& vh : g9080->value("virtualHosts", Json::array())) {
      EXPECT_NE(vh.value("name", ""), "allow_all") << "the global sidecar must not route to itself";
    }
  }
}

TEST(MeshLazyload, ACallThroughTheGlobalSidecarTeachesTheCallersProxy) {
  auto caller = start_workload({.ns = kNs, .name = "learner", .ip = "10.30.0.12", .labels = {{"app", "learner"}},
                                .ports = {{"http-web", 9080, 0}}},
                               {}, {{"slime.io/serviceFenced", "true"}});
  const std::string learned = outbound("learn-0");
  auto fenced = caller->wait({"cluster:outbound|9080||global-sidecar.mesh-operator.svc.cluster.local",
                              "no-cluster:" + learned},
                             60s);
  ASSERT_TRUE(fenced.has_value()) << fenced.error().str();

  // The call the fenced proxy would send to the global sidecar (allow_all adds these headers).
  auto t0 = std::chrono::system_clock::now();
  auto reply = http_request(g_world->proxy_port, "GET", "/",
                            {{"Host", "learn-0." + std::string(kNs) + ":9080"},
                             {"X-Forwarded-For", "10.30.0.12"},
                             {"Slime-Source-Ns", kNs}});
  ASSERT_EQ(reply.status, 200) << reply.body << "\n" << g_world->slime_proxy.log();
  auto got = caller->wait({"cluster:" + learned}, 30s);
  ASSERT_TRUE(got.has_value()) << got.error().str() << "\n" << g_world->slime_run.log();
  long long at_ns = got->value("satisfied_unix_ns", 0LL);
  long long t0_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count();
  std::printf("learning: call -> cluster at the caller's proxy in %.1f ms (istiod debounce included)\n",
              static_cast<double>(at_ns - t0_ns) / 1e6);
  EXPECT_GT(at_ns, t0_ns);
}

// ---- lazyload: TCP fallback (to-global-sidecar-tcp) ----------------------------------------------

constexpr const char* kTcpCluster = "slime-tcp-global-sidecar.mesh-operator";
constexpr const char* kTcpChain = "slime-tcp-lazyload";

uint32_t ipv4(const std::string& dotted) {
  uint32_t out = 0;
  std::istringstream in(dotted);
  std::string part;
  while (std::getline(in, part, '.')) out = (out << 8) | static_cast<uint32_t>(std::stoul(part));
  return out;
}

// The filter chain Envoy's listener would pick for a plaintext TCP connection to ip:port (IPv4), as
// Envoy orders the criteria (FilterChainMatch docs): chains naming the destination port beat chains naming
// none; then the longest matching prefix_ranges entry (none = /0); a raw TCP stream carries no SNI, no
// transport protocol other than raw_buffer and no ALPN, so chains requiring those never match. Returns
// the chain's name, or "" when nothing matches. A listener with filter_chain_matcher ignores the list
// altogether, so that is reported as "(filter_chain_matcher)".
std::string envoy_selects(const Json& listener, const std::string& ip, uint32_t port) {
  if (listener.contains("filterChainMatcher")) return "(filter_chain_matcher)";
  struct Candidate {
    std::string name;
    bool port_specific;
    int prefix;
  };
  std::vector<Candidate> matching;
  for (const auto& fc : listener.value("filterChains", Json::array())) {
    Json m = fc.value("filterChainMatch", Json::object());
    if (m.contains("destinationPort") && m["destinationPort"].get<uint32_t>() != port) continue;
    if (!m.value("serverNames", Json::array()).empty() || !m.value("applicationProtocols", Json::array()).empty())
      continue;
    if (m.contains("transportProtocol") && m.value("transportProtocol", "") != "raw_buffer") continue;
    int best = m.value("prefixRanges", Json::array()).empty() ? 0 : -1;
    for (const auto& r : m.value("prefixRanges", Json::array())) {
      std::string prefix = r.value("addressPrefix", "");
      int len = r.value("prefixLen", 0);
      if (prefix.find(':') != std::string::npos) continue;  // IPv6 range, IPv4 destination
      uint32_t mask = len == 0 ? 0 : ~uint32_t{0} << (32 - len);
      if ((ipv4(prefix) & mask) == (ipv4(ip) & mask)) best = std::max(best, len);
    }
    if (best >= 0) matching.push_back({fc.value("name", ""), m.contains("destinationPort"), best});
  }
  if (matching.empty()) return "";
  bool any_port = std::any_of(matching.begin(), matching.end(), [](const Candidate& c) { return c.port_specific; });
  std::erase_if(matching, [&](const Candidate& c) { return any_port && !c.port_specific; });
  auto top = std::max_element(matching.begin(), matching.end(),
                              [](const Candidate& a, const Candidate& b) { return a.prefix < b.prefix; });
  return top->name;
}

TEST(MeshLazyloadTcp, FallbackClusterAndVirtualOutboundChainReachTheProxy) {
  // A fenced caller: its Sidecar lists no app Service, so a connection to one stays on virtualOutbound.
  auto caller = start_workload({.ns = kNs, .name = "tcp-caller", .ip = "10.30.0.13", .labels = {{"app", "tcp-caller"}},
                                .ports = {{"http-web", 9080, 0}}},
                               {}, {{"slime.io/serviceFenced", "true"}});
  // A TCP destination the caller does not know (istio infers TCP from the port name).
  ASSERT_TRUE(env()
                  .add_workload({.ns = kNs, .name = "tcp-db", .ip = "10.30.4.1", .labels = {{"app", "tcp-db"}},
                                 .ports = {{"tcp-pg", 5432, 0}}, .with_pod = false})
                  .has_value());
  auto landed = caller->wait({"cluster:" + std::string(kTcpCluster), "text@lds:" + std::string(kTcpChain),
                              "no-cluster:" + outbound("tcp-db", 5432), "no-cluster:" + outbound(dst(0))},
                             60s);
  ASSERT_TRUE(landed.has_value()) << landed.error().str() << "\n" << g_world->slime_run.log();

  // CDS: the hop to the global sidecar's TCP port, every connection prefixed with a PROXY v2 header.
  auto clusters = caller->config("cds");
  ASSERT_TRUE(clusters.has_value());
  const Json* hop = find_by_name(*clusters, kTcpCluster);
  ASSERT_NE(hop, nullptr);
  std::cout << "CDS " << kTcpCluster << ": " << hop->dump() << "\n";
  EXPECT_EQ(hop->value("type", ""), "STRICT_DNS");
  const Json& socket = (*hop)["transportSocket"];
  EXPECT_EQ(socket.value("name", ""), "envoy.transport_sockets.upstream_proxy_protocol");
  const Json& upc = socket["typedConfig"];
  EXPECT_EQ(upc.value("@type", ""),
            "type.googleapis.com/envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport");
  EXPECT_EQ(upc["config"].value("version", ""), "V2") << socket.dump();
  EXPECT_EQ(upc["transportSocket"].value("name", ""), "envoy.transport_sockets.raw_buffer") << socket.dump();
  const Json& ep = (*hop)["loadAssignment"]["endpoints"][0]["lbEndpoints"][0]["endpoint"]["address"]["socketAddress"];
  EXPECT_EQ(ep.value("address", ""), "global-sidecar.mesh-operator.svc.cluster.local");
  EXPECT_EQ(ep.value("portValue", 0), 16088);

  // LDS: the added chain on virtualOutbound, matching the service range, tcp_proxy to that cluster.
  auto listeners = caller->config("lds");
  ASSERT_TRUE(listeners.has_value());
  const Json* vo = find_by_name(*listeners, "virtualOutbound");
  ASSERT_NE(vo, nullptr);
  const Json* chain = nullptr;
  std::vector<std::string> chain_names;
  const Json vo_chains = vo->value("filterChains", Json::array());  // `chain` points into this copy
  for (const auto& fc : vo_chains) {
    chain_names.push_back(fc.value("name", ""));
    if (fc.value("name", "") == kTcpChain) chain = &fc;
  }
  ASSERT_NE(chain, nullptr) << "virtualOutbound has no " << kTcpChain << " chain: " << vo->dump();
  std::cout << "LDS virtualOutbound chain " << kTcpChain << ": " << chain->dump() << "\n";
  EXPECT_EQ((*chain)["filterChainMatch"]["prefixRanges"],
            Json::parse(R"([{"addressPrefix":"10.96.0.0","prefixLen":16}])"));
  const Json& tcp = (*chain)["filters"][0];
  EXPECT_EQ(tcp.value("name", ""), "envoy.filters.network.tcp_proxy");
  EXPECT_EQ(tcp["typedConfig"].value("cluster", ""), kTcpCluster);

  // Selected: for the unknown Service's ClusterIP:port Envoy takes our chain; outside the range Istio's
  // catch-all; the listener's own port stays blackholed.
  auto db = env().kube().get({"", "v1", "Service"}, kNs, "tcp-db");
  ASSERT_TRUE(db.has_value()) << db.error().str();
  std::string cluster_ip = db->json()["spec"].value("clusterIP", "");
  ASSERT_EQ(cluster_ip.rfind("10.96.", 0), 0u) << cluster_ip;
  std::string names;
  for (const auto& n : chain_names) names += n + " ";
  EXPECT_EQ(envoy_selects(*vo, cluster_ip, 5432), kTcpChain) << "chains: " << names;
  std::string outside = envoy_selects(*vo, "203.0.113.7", 5432);
  EXPECT_NE(outside, kTcpChain);
  EXPECT_FALSE(outside.empty()) << "chains: " << names;
  EXPECT_NE(envoy_selects(*vo, cluster_ip, 15001), kTcpChain);
  std::cout << "virtualOutbound chains: " << names << "; " << cluster_ip << ":5432 -> " << kTcpChain
            << ", 203.0.113.7:5432 -> " << outside << "\n";

  // istiod's own account: the FILTER_CHAIN patch applied (a patch matching nothing leaves no applied
  // series for its type), no EnvoyFilter error, no NACK. istiod keeps no such series for CLUSTER ADD
  // (InsertedClusters records nothing), so the cluster's evidence is the CDS above.
  ASSERT_TRUE(env()
                  .add_workload({.ns = kNs, .name = "tcp-push-trigger", .ip = "10.30.4.2",
                                 .labels = {{"app", "tcp-push-trigger"}}, .ports = {{"tcp-x", 7000, 0}}, .with_pod = false})
                  .has_value());
  std::this_thread::sleep_for(1s);
  auto metrics = env().istiod_metrics();
  ASSERT_TRUE(metrics.has_value()) << metrics.error().str();
  const std::string ef = "name=\"istio-system/to-global-sidecar-tcp\"";
  EXPECT_EQ(metric_value(*metrics, "pilot_envoy_filter_status", {ef, "patch=\"filterchain\"", "result=\"applied\""}), 1);
  EXPECT_EQ(metric_value(*metrics, "pilot_envoy_filter_status", {"result=\"error\""}), 0);
  EXPECT_EQ(metric_value(*metrics, "pilot_total_xds_rejects"), 0);
  auto stats = caller->stats();
  ASSERT_TRUE(stats.has_value());
  int nacks = 0;
  const Json types = (*stats)["proxies"][0].value("types", Json::object());
  for (const auto& [type, t] : types.items()) nacks += t.value("nacks", 0);
  EXPECT_EQ(nacks, 0) << "the caller's probe NACKed: " << stats->dump();
}

// ---- limiter --------------------------------------------------------------------------------------

TEST(MeshLimiter, LocalTokenBucketOnTheInboundChainAndGlobalActionsOnRoutes) {
  auto target = start_workload({.ns = kNs, .name = "limited", .ip = "10.30.0.20", .labels = {{"app", "limited"}},
                                .ports = {{"http-web", 9080, 0}}});
  auto global_target = start_workload({.ns = kNs, .name = "glimited", .ip = "10.30.0.21",
                                       .labels = {{"app", "glimited"}}, .ports = {{"http-web", 9080, 0}}});
  ASSERT_TRUE(env()
                  .apply_yaml(R"(apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: limited, namespace: app}
spec:
  sets:
    _base:
      descriptor:
      - action: {fill_interval: {seconds: 1}, quota: "7", strategy: single}
        condition: "true"
        target: {port: 9080}
---
apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: glimited, namespace: app}
spec:
  sets:
    _base:
      descriptor:
      - action: {fill_interval: {seconds: 60}, quota: "10", strategy: global}
        condition: "true"
        target: {port: 9080}
)")
                  .has_value());
  // Local: the filter in the inbound HTTP chain, the computed bucket (7 per 1 s) on the inbound route.
  auto local = target->wait({"http-filter@virtualInbound:envoy.filters.http.local_ratelimit",
                             "text@lds:Service[limited.app]", "text@lds:\"tokensPerFill\":7"},
                            60s);
  EXPECT_TRUE(local.has_value()) << local.error().str() << "\n" << g_world->slime_run.log();
  auto chain = http_filters(*target, "virtualInbound");
  auto lr = std::find(chain.begin(), chain.end(), "envoy.filters.http.local_ratelimit");
  auto router = std::find(chain.begin(), chain.end(), "envoy.filters.http.router");
  EXPECT_TRUE(lr != chain.end() && lr < router);

  // Global: the ratelimit filter towards the RLS cluster, and rate-limit actions on the inbound route.
  auto global = global_target->wait({"http-filter@virtualInbound:envoy.filters.http.ratelimit",
                                     "text@lds:rateLimits", "text@lds:Service[glimited.app]"},
                                    60s);
  EXPECT_TRUE(global.has_value()) << global.error().str();
}

// ---- plugin ---------------------------------------------------------------------------------------

TEST(MeshPlugin, PluginManagerFiltersInOrderAndEnvoyPluginConfigInRds) {
  auto w = start_workload({.ns = kNs, .name = "plugged", .ip = "10.30.0.30", .labels = {{"app", "plugged"}},
                           .ports = {{"http-web", 9080, 0}}});
  ASSERT_TRUE(env()
                  .apply_yaml(R"(apiVersion: microservice.slime.io/v1alpha1
kind: PluginManager
metadata: {name: plugged, namespace: app}
spec:
  workloadLabels: {app: plugged}
  plugin:
  - name: envoy.filters.http.buffer
    enable: true
    typeUrl: type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer
    inline: {settings: {max_request_bytes: 65536}}
  - name: envoy.filters.http.lua
    enable: true
    typeUrl: type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
    inline: {settings: {default_source_code: {inline_string: "function envoy_on_request(h) end"}}}
  - name: envoy.filters.http.fault
    enable: true
    inline: {settings: {abort: {http_status: 418, percentage: {numerator: 1}}}}
---
apiVersion: microservice.slime.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: plugged-routes, namespace: app}  # its own name: each source renders the EnvoyFilter of its name
spec:
  workloadSelector: {labels: {app: plugged}}
  host: [svc-1.app.svc.cluster.local]
  route: [svc-2.app.svc.cluster.local:9080/default]
  plugins:
  - name: envoy.filters.http.buffer
    enable: true
    typeUrl: type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute
    inline: {settings: {disabled: true}}
)")
                  .has_value());
  // PluginManager: buffer then lua, right before the router, in the outbound chain of port 9080.
  auto in_chain = w->wait({"http-filter@0.0.0.0_9080:envoy.filters.http.lua", "text@lds:max_request_bytes"}, 60s);
  ASSERT_TRUE(in_chain.has_value()) << in_chain.error().str() << "\n" << g_world->slime_run.log();
  auto chain = http_filters(*w, "0.0.0.0_9080");
  auto pos = [&](const std::string& f) { return std::find(chain.begin(), chain.end(), f) - chain.begin(); };
  ASSERT_LT(pos("envoy.filters.http.router"), static_cast<long>(chain.size()));
  EXPECT_EQ(pos("envoy.filters.http.buffer") + 1, pos("envoy.filters.http.lua"));
  EXPECT_EQ(pos("envoy.filters.http.lua") + 1, pos("envoy.filters.http.router"));
  // A plugin named like a filter Istio already has configures Istio's: one fault filter, with our abort.
  EXPECT_EQ(std::count(chain.begin(), chain.end(), "envoy.filters.http.fault"), 1);
  auto with_abort = w->wait({"text@lds:\"httpStatus\":418"}, 30s);
  EXPECT_TRUE(with_abort.has_value()) << with_abort.error().str();

  // EnvoyPlugin: per-host config on every virtual host of svc-1 (istiod names them HOST:PORT), per-route
  // config on svc-2's default route.
  auto in_rds = w->wait({"text@rds:BufferPerRoute"}, 60s);
  ASSERT_TRUE(in_rds.has_value()) << in_rds.error().str() << "\n" << g_world->slime_run.log();
  auto routes = w->config("rds");
  ASSERT_TRUE(routes.has_value());
  const Json* r9080 = find_by_name(*routes, "9080");
  ASSERT_NE(r9080, nullptr);
  bool host_level = false, route_level = false, elsewhere = false;
  for (const auto& vh : r9080->value("virtualHosts", Json::array())) {
    bool has = vh.contains("typedPerFilterConfig") && vh["typedPerFilterConfig"].contains("envoy.filters.http.buffer");
    std::string name = vh.value("name", "");
    if (name == fqdn(dst(1)) + ":9080") host_level = has;
    else elsewhere = elsewhere || has;
    if (name == fqdn(dst(2)) + ":9080")
      for (const auto& rt : vh.value("routes", Json::array()))
        if (rt.value("name", "") == "default")
          route_level = rt.contains("typedPerFilterConfig") && rt["typedPerFilterConfig"].contains("envoy.filters.http.buffer");
  }
  EXPECT_TRUE(host_level) << "no per-host config on " << fqdn(dst(1)) << ":9080";
  EXPECT_TRUE(route_level) << "no per-route config on " << fqdn(dst(2)) << ":9080/default";
  EXPECT_FALSE(elsewhere) << "per-host config leaked to another virtual host";
}

// ---- canary ---------------------------------------------------------------------------------------

// The weighted clusters of the route named `route` in `vhost` of route configuration `config`, by name
// ({} when that route is absent or sends to one cluster).
std::map<std::string, int> weighted_clusters(const Json& rds, const std::string& config, const std::string& vhost,
                                             const std::string& route) {
  std::map<std::string, int> out;
  const Json* rc = find_by_name(rds, config);
  if (!rc) return out;
  for (const auto& vh : rc->value("virtualHosts", Json::array())) {
    if (vh.value("name", "") != vhost) continue;
    for (const auto& rt : vh.value("routes", Json::array())) {
      if (rt.value("name", "") != route || !rt.contains("route") || !rt["route"].contains("weightedClusters")) continue;
      for (const auto& c : rt["route"]["weightedClusters"].value("clusters", Json::array()))
        out[c.value("name", "")] = c.value("weight", 0);
    }
  }
  return out;
}

// Polls the probe's RDS until the host's canary route carries `want` (istiod pushes after Slime writes).
std::map<std::string, int> wait_for_weights(const Probe& p, const std::string& vhost, const std::map<std::string, int>& want,
                                            std::chrono::seconds timeout) {
  std::map<std::string, int> got;
  for (auto end = std::chrono::steady_clock::now() + timeout; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(200ms)) {
    auto rds = p.config("rds");
    if (rds) got = weighted_clusters(*rds, "9080", vhost, "canary");
    if (got == want) break;
  }
  return got;
}

// The endpoint addresses of an EDS cluster load assignment.
std::vector<std::string> eds_addresses(const Json& eds, const std::string& cluster) {
  std::vector<std::string> out;
  for (const auto& cla : eds) {
    if (cla.value("clusterName", "") != cluster) continue;
    for (const auto& locality : cla.value("endpoints", Json::array()))
      for (const auto& lb : locality.value("lbEndpoints", Json::array()))
        out.push_back(lb["endpoint"]["address"]["socketAddress"].value("address", ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(MeshCanary, FirstStepWeightsReachTheCallersRdsAndSubsetClustersItsCds) {
  // One Service over two versions' Pods (as two Deployments would leave them); no proxy runs for them:
  // they are a destination. The endpoints name their Pods, so istiod filters subsets by Pod labels.
  const std::string svc = "canaried", host = fqdn(svc);
  for (const auto& [version, ip] : {std::pair{"v1", "10.30.6.1"}, std::pair{"v2", "10.30.6.2"}})
    ASSERT_TRUE(env()
                    .add_workload({.ns = kNs, .name = svc + "-" + version, .ip = ip,
                                   .labels = {{"app", svc}, {"version", version}}})
                    .has_value());
  ASSERT_TRUE(env()
                  .apply_yaml(R"(apiVersion: v1
kind: Service
metadata: {name: canaried, namespace: app}
spec:
  selector: {app: canaried}
  ports: [{name: http-web, port: 9080, targetPort: 9080, protocol: TCP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: canaried, namespace: app}
subsets:
- addresses:
  - {ip: 10.30.6.1, targetRef: {kind: Pod, namespace: app, name: canaried-v1}}
  - {ip: 10.30.6.2, targetRef: {kind: Pod, namespace: app, name: canaried-v2}}
  ports: [{name: http-web, port: 9080, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: canaried-slice
  namespace: app
  labels: {kubernetes.io/service-name: canaried, endpointslice.kubernetes.io/managed-by: mesh-test}
addressType: IPv4
endpoints:
- {addresses: [10.30.6.1], conditions: {ready: true}, targetRef: {kind: Pod, namespace: app, name: canaried-v1}}
- {addresses: [10.30.6.2], conditions: {ready: true}, targetRef: {kind: Pod, namespace: app, name: canaried-v2}}
ports: [{name: http-web, port: 9080, protocol: TCP}]
)")
                  .has_value());
  auto caller = start_workload({.ns = kNs, .name = "canary-caller", .ip = "10.30.0.40",
                                .labels = {{"app", "canary-caller"}}, .ports = {{"http-web", 9080, 0}}});

  // The first step needs no metrics: Initializing writes the routes at 0 %, and once they are live the
  // release is Progressing at steps[0]. The analysis after `interval` gets no answer (no Prometheus):
  // noData: hold keeps 20 % (a pass would be needed for 50 %).
  ASSERT_TRUE(env()
                  .apply_yaml(R"(apiVersion: microservice.slime.io/v1alpha1
kind: CanaryRelease
metadata: {name: canaried, namespace: app}
spec:
  host: canaried
  stable: {labels: {version: v1}}
  canary: {labels: {version: v2}}
  schedule: {interval: 2s, steps: [20, 50]}
  analysis:
    noData: hold
    checks: [{builtin: request-success-rate}]
)")
                  .has_value());

  const std::string stable = "outbound|9080|stable|" + host, canary = "outbound|9080|canary|" + host;
  auto landed = caller->wait({"cluster:" + stable, "cluster:" + canary, "text@rds:" + canary, "text@eds:" + canary}, 60s);
  ASSERT_TRUE(landed.has_value()) << landed.error().str() << "\n" << g_world->slime_run.log();
  const std::string vhost = host + ":9080";
  auto weights = wait_for_weights(*caller, vhost, {{stable, 80}, {canary, 20}}, 30s);
  EXPECT_EQ(weights, (std::map<std::string, int>{{stable, 80}, {canary, 20}}));
  auto rds = caller->config("rds");
  ASSERT_TRUE(rds.has_value());
  for (const auto& rc : *rds)
    for (const auto& vh : rc.value("virtualHosts", Json::array()))
      if (vh.value("name", "") == vhost) std::cout << "RDS " << rc.value("name", "") << " " << vhost << ": " << vh.dump() << "\n";

  // CDS: the DestinationRule's subsets as clusters of their own; EDS: each holds only its version's Pod.
  auto cds = caller->config("cds");
  ASSERT_TRUE(cds.has_value());
  for (const auto& name : {stable, canary}) {
    const Json* c = find_by_name(*cds, name);
    ASSERT_NE(c, nullptr) << name;
    std::cout << "CDS " << name << ": " << c->dump() << "\n";
    EXPECT_EQ(c->value("type", ""), "EDS");
  }
  auto eds = caller->config("eds");
  ASSERT_TRUE(eds.has_value());
  EXPECT_EQ(eds_addresses(*eds, stable), std::vector<std::string>{"10.30.6.1"});
  EXPECT_EQ(eds_addresses(*eds, canary), std::vector<std::string>{"10.30.6.2"});

  // The analysis two seconds on finds no data and holds: the status says so and the proxy keeps 80/20.
  Json status;
  for (auto end = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < end;
       std::this_thread::sleep_for(250ms)) {
    auto cr = env().kube().get({"microservice.slime.io", "v1alpha1", "CanaryRelease"}, kNs, svc);
    ASSERT_TRUE(cr.has_value()) << cr.error().str();
    status = cr->status();
    if (status.contains("lastAnalysis")) break;
  }
  std::cout << "CanaryRelease status: " << status.dump() << "\n";
  EXPECT_EQ(status.value("phase", ""), "Progressing");
  EXPECT_EQ(status.value("weight", 0), 20);
  ASSERT_TRUE(status.contains("lastAnalysis")) << status.dump();
  EXPECT_EQ(status["lastAnalysis"].value("verdict", ""), "NoVerdict");
  auto held = caller->config("rds");
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(weighted_clusters(*held, "9080", vhost, "canary"), (std::map<std::string, int>{{stable, 80}, {canary, 20}}));
}

// ---- istiod's verdict -----------------------------------------------------------------------------

// Runs last (gtest keeps declaration order): every EnvoyFilter and Sidecar Slime wrote is held by istiod,
// and each EnvoyFilter's patches applied to some proxy (pilot_envoy_filter_status, result=applied, 1).
TEST(MeshVerdict, IstiodAcceptsEverythingAndEveryEnvoyFilterApplies) {
  auto efs = env().kube().list({"networking.istio.io", "v1alpha3", "EnvoyFilter"});
  ASSERT_TRUE(efs.has_value());
  ASSERT_FALSE(efs->items.empty());
  // The gauge is recorded at the start of the next push: make one happen.
  ASSERT_TRUE(env()
                  .add_workload({.ns = kNs, .name = "push-trigger", .ip = "10.30.3.1", .labels = {{"app", "push-trigger"}},
                                 .ports = {{"http-web", 9080, 0}}, .with_pod = false})
                  .has_value());
  std::this_thread::sleep_for(1s);
  auto metrics = env().istiod_metrics();
  ASSERT_TRUE(metrics.has_value()) << metrics.error().str();
  auto configz = env().istiod_debug("/debug/configz");
  ASSERT_TRUE(configz.has_value()) << configz.error().str();
  std::string held = configz->dump();
  for (const auto& ef : efs->items) {
    std::string full = ef.ns() + "/" + ef.name();
    EXPECT_NE(held.find("\"name\":\"" + ef.name() + "\""), std::string::npos) << "istiod does not hold " << full;
    double applied = metric_value(*metrics, "pilot_envoy_filter_status", {"name=\"" + full + "\"", "result=\"applied\""});
    EXPECT_GT(applied, 0) << "EnvoyFilter " << full << " applied to no proxy";
    // A series at 0 is a patch type of this filter that was evaluated and matched nothing.
    std::istringstream lines(*metrics);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind("pilot_envoy_filter_status{", 0) == 0 && line.find("name=\"" + full + "\"") != std::string::npos) {
        EXPECT_FALSE(line.ends_with(" 0")) << "patch matched nothing: " << line;
      }
    }
  }
  EXPECT_EQ(metric_value(*metrics, "pilot_envoy_filter_status", {"result=\"error\""}), 0);
  EXPECT_EQ(metric_value(*metrics, "pilot_total_xds_rejects"), 0) << "a proxy NACKed istiod's config";
  auto sidecars = env().kube().list({"networking.istio.io", "v1alpha3", "Sidecar"});
  ASSERT_TRUE(sidecars.has_value());
  EXPECT_FALSE(sidecars->items.empty());
  for (const auto& sc : sidecars->items)
    EXPECT_NE(held.find("\"name\":\"" + sc.name() + "\""), std::string::npos) << "istiod does not hold Sidecar " << sc.ref();
}

}  // namespace
}  // namespace slime::mesh

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new slime::mesh::MeshEnvironment);
  return RUN_ALL_TESTS();
}

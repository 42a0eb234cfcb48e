// What lazyload saves a proxy, measured through a real istiod (a program that prints figures; run by
// hand, not by CI). Needs tools/envtest and tools/istiod built (their build.sh) and `slime` built.
//
//   1. xDS per proxy: N HTTP services in 10 namespaces; one proxy without a Sidecar, one whose
//      ServiceFence lists 10 of them (Slime writes its Sidecar). Bytes and resources per type.
//   2. 50 proxies (each depending on 10 services) while services churn, without and with lazyload:
//      istiod's RSS and CPU time, pushes and their time, bytes the proxies received.
//   3. Learning: 100 first calls through `slime proxy`, each to a new dependency; the time from the
//      call to the cluster at the caller's proxy (istiod's debounce included), p50 / p99.
//
// Usage: bench_mesh [--services 1000,5000] [--proxies 50] [--churn 100] [--learn 100]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mesh_env.h"

namespace {

using namespace std::chrono_literals;
using slime::core::Json;
using slime::mesh::Child;
using slime::mesh::MeshEnv;
using slime::mesh::Probe;
using slime::mesh::Workload;

constexpr int kNamespaces = 10;
constexpr int kDeps = 10;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_mesh: %s\n", what.c_str());
  std::exit(1);
}
template <typename T>
T must(slime::core::Result<T> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().str());
  return std::move(*r);
}
void must(slime::core::Result<void> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().str());
}

std::string svc_ns(int i) { return "ns-" + std::to_string(i % kNamespaces); }
std::string svc_name(int i) { return "svc-" + std::to_string(i); }
std::string svc_fqdn(int i) { return svc_name(i) + "." + svc_ns(i) + ".svc.cluster.local"; }
std::string ip_of(int block, int i) {
  return "10." + std::to_string(40 + block) + "." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
}

// Services [from, to) with one endpoint each, written by 4 threads (each with its own client).
void add_services(MeshEnv& env, int from, int to) {
  std::vector<std::thread> threads;
  std::atomic<int> next{from};
  std::atomic<bool> failed{false};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = next++; i < to && !failed; i = next++)
        if (!env.add_workload({.ns = svc_ns(i), .name = svc_name(i), .ip = ip_of(0, i), .labels = {{"app", svc_name(i)}},
                               .ports = {{"http", 80, 0}}, .with_pod = false}))
          failed = true;
    });
  for (auto& t : threads) t.join();
  if (failed) die("creating services failed");
}

// A ServiceFence listing kDeps services: Slime renders its Sidecar (lazyload's static hosts).
std::string fence_yaml(const std::string& ns, const std::string& name, int first_dep, int services) {
  std::string hosts;
  for (int d = 0; d < kDeps; ++d) hosts += (hosts.empty() ? "" : ", ") + svc_fqdn((first_dep + d * 7) % services) + ": {stable: {}}";
  return "apiVersion: microservice.slime.io/v1alpha1\nkind: ServiceFence\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec: {enable: true, host: {" + hosts + "}}\n";
}

struct TypeFigures {
  long bytes = 0, resources = 0;
};
std::map<std::string, TypeFigures> per_type(const Json& proxy) {
  std::map<std::string, TypeFigures> out;
  for (auto it = proxy["types"].begin(); it != proxy["types"].end(); ++it)
    out[it.key()] = {it->value("bytes", 0L), it->value("resources", 0L)};
  return out;
}

void print_proxy(const char* label, const Json& proxy) {
  std::printf("  %-22s %10ld B %6ld res |", label, proxy.value("bytes", 0L), proxy.value("resources", 0L));
  for (const auto& [t, f] : per_type(proxy)) std::printf(" %s %ld B/%ld", t.c_str(), f.bytes, f.resources);
  std::printf("\n");
}

const char* kLazyloadConfig = R"(module:
- name: lazyload
  kind: lazyload
  enable: true
  general:
    wormholePort: ["80"]
    globalSidecarMode: cluster
    metricSourceType: accesslog
    autoFence: true
    defaultFence: false
  global: {istioNamespace: istio-system, slimeNamespace: mesh-operator}
)";

// A fenced or plain workload with a Pod, in ns-0.
void add_client(MeshEnv& env, const std::string& name, const std::string& ip, bool fenced) {
  Workload w{.ns = "ns-0", .name = name, .ip = ip, .labels = {{"app", name}}, .ports = {{"http", 80, 0}}};
  if (fenced) w.service_labels = {{"slime.io/serviceFenced", "true"}};
  must(env.add_workload(w), "workload " + name);
}

std::unique_ptr<Probe> start_probe(MeshEnv& env, const std::string& pod, const std::string& ip, int count = 1) {
  auto p = std::make_unique<Probe>();
  Probe::Options o{.ns = "ns-0", .pod = pod, .ip = ip, .labels = {{"app", pod}}, .count = count};
  must(p->start(env.xds_addr(), o, env.dir() + "/probe-" + pod + ".log"), "probe " + pod);
  return p;
}

// 1. Config size per proxy at `services`.
void size_per_proxy(int services) {
  auto env = must(MeshEnv::start(), "mesh environment");
  for (int n = 0; n < kNamespaces; ++n) must(env->ensure_namespace("ns-" + std::to_string(n)), "namespace");
  Child slime;
  must(env->start_slime_run(slime, kLazyloadConfig), "slime run");
  auto t0 = std::chrono::steady_clock::now();
  add_services(*env, 0, services);
  std::printf("\n== %d services (%d namespaces, one endpoint each; written in %.0f s)\n", services, kNamespaces,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  // The global sidecar's endpoint, so the fenced proxy's fallback route has somewhere to go.
  must(env->add_workload({.ns = "mesh-operator", .name = "global-sidecar", .ip = "10.39.0.2",
                          .labels = {{"app", "global-sidecar"}}, .ports = {{"http-80", 80, 0}}, .with_service = false}),
       "global sidecar");
  add_client(*env, "plain", "10.39.0.10", false);
  add_client(*env, "fenced", "10.39.0.11", true);
  must(env->apply_yaml(fence_yaml("ns-0", "fenced", 3, services)), "ServiceFence");
  auto plain = start_probe(*env, "plain", "10.39.0.10");
  auto fenced = start_probe(*env, "fenced", "10.39.0.11");
  must(plain->wait({"min@cds:" + std::to_string(services), "cluster:outbound|80||" + svc_fqdn(services - 1),
                    "min@eds:" + std::to_string(services)},
                   300s),
       "unscoped config");
  std::vector<std::string> deps;
  for (int d = 0; d < kDeps; ++d) deps.push_back("cluster:outbound|80||" + svc_fqdn((3 + d * 7) % services));
  deps.push_back("no-cluster:outbound|80||" + svc_fqdn(services - 1 == 3 ? 4 : services - 1));
  must(fenced->wait(deps, 300s), "scoped config (the Sidecar with 10 hosts)");
  std::this_thread::sleep_for(1s);  // let the last responses of both settle
  Json a = must(plain->stats(), "stats")["proxies"][0];
  Json b = must(fenced->stats(), "stats")["proxies"][0];
  print_proxy("no lazyload", a);
  print_proxy("lazyload (10 deps)", b);
  double saved = 100.0 * (1.0 - static_cast<double>(b.value("bytes", 0L)) / static_cast<double>(a.value("bytes", 1L)));
  std::printf("  saving: %.1f %% fewer bytes (%.1fx)\n", saved,
              static_cast<double>(a.value("bytes", 0L)) / static_cast<double>(std::max(1L, b.value("bytes", 1L))));
  slime.stop();
}

struct ProcSample {
  double cpu_s = 0;
  long rss_kib = 0;
};
ProcSample sample(pid_t pid) {
  ProcSample s;
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(st)), {});
  auto close = text.rfind(')');
  if (close != std::string::npos) {
    std::istringstream rest(text.substr(close + 2));
    std::vector<std::string> f;
    for (std::string x; rest >> x;) f.push_back(x);
    if (f.size() > 13) s.cpu_s = (std::atof(f[11].c_str()) + std::atof(f[12].c_str())) / sysconf(_SC_CLK_TCK);
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::atol(line.c_str() + 6);
  return s;
}

// 2. `proxies` proxies, each depending on kDeps of `services`, while `churn` services are added and removed.
void churn(int services, int proxies, int churn_count, bool lazyload) {
  auto env = must(MeshEnv::start(), "mesh environment");
  for (int n = 0; n < kNamespaces; ++n) must(env->ensure_namespace("ns-" + std::to_string(n)), "namespace");
  Child slime;
  if (lazyload) must(env->start_slime_run(slime, kLazyloadConfig), "slime run");
  add_services(*env, 0, services);
  must(env->add_workload({.ns = "mesh-operator", .name = "global-sidecar", .ip = "10.39.0.2",
                          .labels = {{"app", "global-sidecar"}}, .ports = {{"http-80", 80, 0}}, .with_service = false}),
       "global sidecar");
  // The probe's replicas are pods wl-1.. with consecutive IPs; wl itself is replica 0.
  for (int i = 0; i < proxies; ++i) {
    std::string name = i == 0 ? "wl" : "wl-" + std::to_string(i);
    Workload w{.ns = "ns-0", .name = name, .ip = ip_of(8, i), .labels = {{"app", "wl"}}, .ports = {}};
    must(env->add_workload(w), "pod " + name);
  }
  // One Service for all replicas (fenced with lazyload), one ServiceFence with its 10 dependencies.
  Workload svc{.ns = "ns-0", .name = "wl", .ip = ip_of(8, 0), .labels = {{"app", "wl"}}, .ports = {{"http", 80, 0}},
               .with_pod = false};
  if (lazyload) svc.service_labels = {{"slime.io/serviceFenced", "true"}};
  must(env->add_workload(svc), "service wl");
  if (lazyload) must(env->apply_yaml(fence_yaml("ns-0", "wl", 5, services)), "ServiceFence");
  auto probe = std::make_unique<Probe>();
  Probe::Options o{.ns = "ns-0", .pod = "wl", .ip = ip_of(8, 0), .labels = {{"app", "wl"}}, .count = proxies};
  must(probe->start(env->xds_addr(), o, env->dir() + "/probe-wl.log"), "probes");
  std::string settled = "cluster:outbound|80||" + svc_fqdn(lazyload ? 5 : services - 1);
  must(probe->wait({settled}, 600s, "all"), "initial config of every proxy");
  if (lazyload) must(probe->wait({"no-cluster:outbound|80||" + svc_fqdn(services - 2)}, 600s, "all"), "scoped config");
  std::this_thread::sleep_for(2s);

  auto received = [&] {
    long sum = 0;
    for (const auto& p : must(probe->stats(), "stats")["proxies"])
      for (const auto& [t, v] : p["types"].items()) sum += v.value("received_bytes", 0L);
    return sum;
  };
  std::string m0 = must(env->istiod_metrics(), "metrics");
  ProcSample s0 = sample(env->istiod_pid());
  long r0 = received();
  long peak_rss = s0.rss_kib;
  auto t0 = std::chrono::steady_clock::now();
  // Churn: add `churn_count` services one by one, then remove them (each change is a push).
  for (int i = services; i < services + churn_count; ++i) {
    must(env->add_workload({.ns = svc_ns(i), .name = svc_name(i), .ip = ip_of(0, i), .labels = {{"app", svc_name(i)}},
                            .ports = {{"http", 80, 0}}, .with_pod = false}),
         "churn add");
    peak_rss = std::max(peak_rss, sample(env->istiod_pid()).rss_kib);
  }
  for (int i = services; i < services + churn_count; ++i) {
    (void)env->kube().remove({"", "v1", "Service"}, svc_ns(i), svc_name(i));
    (void)env->kube().remove({"discovery.k8s.io", "v1", "EndpointSlice"}, svc_ns(i), svc_name(i) + "-slice");
    peak_rss = std::max(peak_rss, sample(env->istiod_pid()).rss_kib);
  }
  // The last push reaches every proxy: without lazyload the last churned service disappears.
  must(probe->wait({"no-cluster:outbound|80||" + svc_fqdn(services + churn_count - 1)}, 600s, "all"), "churn settles");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::this_thread::sleep_for(1s);
  ProcSample s1 = sample(env->istiod_pid());
  std::string m1 = must(env->istiod_metrics(), "metrics");
  long r1 = received();
  using slime::mesh::metric_value;
  double pushes = metric_value(m1, "pilot_xds_push_time_count") - metric_value(m0, "pilot_xds_push_time_count");
  double push_s = metric_value(m1, "pilot_xds_push_time_sum") - metric_value(m0, "pilot_xds_push_time_sum");
  double conv = metric_value(m1, "pilot_proxy_convergence_time_count") - metric_value(m0, "pilot_proxy_convergence_time_count");
  double conv_s = metric_value(m1, "pilot_proxy_convergence_time_sum") - metric_value(m0, "pilot_proxy_convergence_time_sum");
  std::printf("  %-12s istiod CPU %6.1f s in %5.1f s, RSS %4ld -> peak %4ld MiB | %6.0f pushes (%.2f ms avg) | "
              "convergence %.1f ms avg | proxies received %.1f MB\n",
              lazyload ? "lazyload" : "no lazyload", s1.cpu_s - s0.cpu_s, secs, s0.rss_kib / 1024, peak_rss / 1024,
              pushes, pushes > 0 ? 1000 * push_s / pushes : 0.0, conv > 0 ? 1000 * conv_s / conv : 0.0,
              static_cast<double>(r1 - r0) / 1e6);
  probe->stop();
  slime.stop();
}

// 3. Learning: `count` first calls, each to a new dependency, through `slime proxy`.
void learning(int count) {
  auto env = must(MeshEnv::start(), "mesh environment");
  must(env->ensure_namespace("ns-0"), "namespace");
  Child slime, proxy;
  int als = must(env->start_slime_run(slime, kLazyloadConfig), "slime run");
  slime::mesh::LoopbackHttpServer backend;
  std::string manifest;
  for (int i = 0; i < count; ++i) {
    must(env->add_workload({.ns = "ns-0", .name = "learn-" + std::to_string(i), .ip = ip_of(1, i),
                            .labels = {{"app", "learn-" + std::to_string(i)}}, .ports = {{"http", 80, 0}}, .with_pod = false}),
         "destination");
    manifest += "apiVersion: v1\nkind: Service\nmetadata: {name: learn-" + std::to_string(i) +
                ", namespace: ns-0}\nspec: {clusterIP: None, ports: [{name: http, port: 80}]}\n---\n"
                "apiVersion: v1\nkind: Endpoints\nmetadata: {name: learn-" + std::to_string(i) +
                ", namespace: ns-0}\nsubsets: [{addresses: [{ip: 127.0.0.1}], ports: [{name: http, port: " +
                std::to_string(backend.port()) + "}]}]\n---\n";
  }
  int proxy_port = must(env->start_slime_proxy(proxy, manifest, als), "slime proxy");
  must(env->add_workload({.ns = "mesh-operator", .name = "global-sidecar", .ip = "10.39.0.2",
                          .labels = {{"app", "global-sidecar"}}, .ports = {{"http-80", 80, 0}}, .with_service = false}),
       "global sidecar");
  add_client(*env, "caller", "10.39.0.20", true);
  auto caller = start_probe(*env, "caller", "10.39.0.20");
  must(caller->wait({"cluster:outbound|80||global-sidecar.mesh-operator.svc.cluster.local",
                     "no-cluster:outbound|80||learn-0.ns-0.svc.cluster.local"},
                    120s),
       "fenced caller");
  std::vector<double> ms;
  for (int i = 0; i < count; ++i) {
    std::string host = "learn-" + std::to_string(i) + ".ns-0";
    auto t0 = std::chrono::system_clock::now();
    auto r = slime::mesh::http_request(proxy_port, "GET", "/",
                                       {{"Host", host + ":80"}, {"X-Forwarded-For", "10.39.0.20"}, {"Slime-Source-Ns", "ns-0"}});
    if (r.status != 200) die("call to " + host + ": status " + std::to_string(r.status));
    Json got = must(caller->wait({"cluster:outbound|80||" + host + ".svc.cluster.local"}, 30s), "learned " + host);
    long long t0_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t0.time_since_epoch()).count();
    ms.push_back(static_cast<double>(got.value("satisfied_unix_ns", 0LL) - t0_ns) / 1e6);
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * static_cast<double>(ms.size())))]; };
  std::printf("\n== learning: first call -> cluster at the caller's proxy, %d new dependencies\n", count);
  std::printf("  p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (istiod debounce %s)\n", pct(0.5), pct(0.9), pct(0.99),
              ms.back(), std::getenv("ISTIOD_DEBOUNCE_AFTER") ? std::getenv("ISTIOD_DEBOUNCE_AFTER") : "10ms");
}

std::vector<int> int_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  for (std::string x; std::getline(ss, x, ',');) out.push_back(std::atoi(x.c_str()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes{1000, 5000};
  int proxies = 50, churn_count = 100, learn = 100, churn_services = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--services") sizes = int_list(v);
    else if (a == "--proxies") proxies = std::atoi(v.c_str());
    else if (a == "--churn") churn_count = std::atoi(v.c_str());
    else if (a == "--churn-services") churn_services = std::atoi(v.c_str());
    else if (a == "--learn") learn = std::atoi(v.c_str());
    else die("unknown argument " + a + " (--services N,M --proxies N --churn N --churn-services N --learn N)");
  }
  signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures appear as they are measured
  std::printf("bench_mesh: istiod %s, xds-probe SotW; bytes = serialized size of the resources a proxy holds\n",
              std::getenv("ISTIOD_VERSION") ? std::getenv("ISTIOD_VERSION") : "(tools/istiod/versions.env)");
  for (int n : sizes) size_per_proxy(n);
  if (proxies > 0) {
    std::printf("\n== %d proxies, %d services, each proxy depending on %d; %d services added then removed\n", proxies,
                churn_services, kDeps, churn_count);
    churn(churn_services, proxies, churn_count, false);
    churn(churn_services, proxies, churn_count, true);
  }
  if (learn > 0) learning(learn);
  return 0;
}

// bench_apiserver: `slime run` (lazyload, auto-fence) against a real kube-apiserver with N Services in
// fenced namespaces. For each N, on a fresh envtest cluster: create the Services, start slime, and
// measure the time until every Service has its Sidecar, the API requests slime made (by verb), slime's
// peak RSS, and the CPU time slime and the servers (kube-apiserver + etcd, which share the machine)
// spent meanwhile. Prints a table. A program, not a test: it asserts nothing.
//
// `--mesh realistic` seeds what a mesh of N Services really holds: 5 Running Pods per Service (two
// containers, a few labels, a podIP), one EndpointSlice per Service, a VirtualService per 10 Services and
// a Secret per namespace. It also prints slime's RSS and cached-object count when its caches first
// synced, and with `--churn S` a steady-state row: slime's RSS and CPU per second while 100 Pods/s are
// replaced (deleted and created Running elsewhere) for S seconds.
//
//   [BENCH_WORKERS=N] [BENCH_FENCE_LABEL=key] [BENCH_SLIME=path] [BENCH_STATE=dir] [BENCH_HEADLESS=1] bench_apiserver [--mesh services|realistic] [--churn S] [N ...]
//   default: services mesh, 1000 5000 10000; workers: slime's default; BENCH_FENCE_LABEL sets lazyload's
//   fenceLabelKeyAlias (workload fences, which need Pods); BENCH_SLIME runs another build's slime.
//   After each run it prints, per kind, the bytes an object takes as a whole JSON tree and as slime's
//   configured modules have it cached (measured in this process on the cluster's objects).
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/projection.h"
#include "slime/core/yaml.h"
#include "slime/kube/client.h"
#include "slime/kube/cluster_config.h"
#include "slime/modules/registry.h"

namespace fs = std::filesystem;
using slime::core::Json;
using slime::core::Object;

namespace {

const char* kConfig = R"(name: lazyload
kind: lazyload
enable: true
general: {globalSidecar: {enable: false}, metricSourceType: accesslog, clusterGsNamespace: mesh-operator, autoFence: true, defaultFence: true}
global: {istioNamespace: istio-system, slimeNamespace: mesh-operator, misc: {logSourcePort: '20000'}}
)";
constexpr int kServicesPerNamespace = 100;
constexpr int kPodsPerService = 5;
constexpr int kServicesPerVirtualService = 10;

std::string config_text() {
  std::string text = kConfig;
  if (const char* key = std::getenv("BENCH_FENCE_LABEL"); key && *key) {
    auto at = text.find("defaultFence: true");
    text.insert(at + std::string("defaultFence: true").size(), std::string(", fenceLabelKeyAlias: '") + key + "'");
  }
  return text;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool sh(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

long status_kb(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line, prefix = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return std::stol(line.substr(prefix.size()));
  return -1;
}
long peak_rss_kb(pid_t pid) { return status_kb(pid, "VmHWM"); }
long rss_kb(pid_t pid) { return status_kb(pid, "VmRSS"); }

// A free loopback port for slime's admin server, so the benchmark can poll /readyz from the start.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

bool install_crds(slime::kube::Client& c, const fs::path& file) {
  auto parsed = slime::core::parse_yaml_documents(slurp(file), file.string());
  for (auto& d : parsed.documents) {
    auto o = Object::from_json(d.json);
    if (!o || !c.apply(*o)) return false;
  }
  return true;
}

// Counts the Sidecars in the cluster from a watch stream. Polling full lists instead would make the
// apiserver serialise every Sidecar once a second, which at 10,000 costs it more CPU than slime's writes.
class SidecarCounter {
 public:
  explicit SidecarCounter(const slime::kube::ClusterConfig& cfg) : client_(cfg) {
    thread_ = std::thread([this] { run(); });
  }
  ~SidecarCounter() {
    stop_ = true;
    thread_.join();
  }
  size_t count() const { return count_.load(); }

 private:
  void run() {
    const slime::core::Gvk sidecar{"networking.istio.io", "v1", "Sidecar"};
    std::set<std::pair<std::string, std::string>> names;
    std::string rv;  // empty: the stream starts with the existing objects
    while (!stop_) {
      auto r = client_.watch(sidecar, {}, rv, [&](const slime::kube::WatchEvent& ev) {
        auto key = std::make_pair(ev.object.ns(), ev.object.name());
        if (ev.type == slime::kube::WatchEventType::kDeleted) names.erase(key);
        else if (ev.type != slime::kube::WatchEventType::kBookmark) names.insert(key);
        count_ = names.size();
        return true;
      }, &stop_, 60);
      if (r) rv = *r;
      else std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  slime::kube::Client client_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> count_{0};
  std::thread thread_;
};

// CPU seconds (user + system) a process has used so far; 0 when it is gone.
double cpu_seconds(pid_t pid) {
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {  // fields 14 and 15 of proc(5)
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double servers_cpu_seconds(const fs::path& dir) {
  double total = 0;
  for (const char* name : {"etcd.pid", "kube-apiserver.pid"}) {
    std::string pid = slurp(dir / name);
    if (!pid.empty()) total += cpu_seconds(static_cast<pid_t>(std::stol(pid)));
  }
  return total;
}

struct Requests {
  double total = -1;
  std::map<std::string, double> by_verb;
  double reconciles = -1;
};

Requests scrape(int port, const fs::path& dir) {
  Requests r;
  fs::path out = dir / "metrics.txt";
  if (!sh("curl -s http://127.0.0.1:" + std::to_string(port) + "/metrics > " + out.string())) return r;
  std::string text = slurp(out);
  std::regex req(R"re(slime_api_requests_total\{[^}]*verb="([A-Z]+)"[^}]*\} ([0-9.e+]+))re");
  r.total = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), req), end; it != end; ++it) {
    double v = std::stod((*it)[2]);
    r.by_verb[(*it)[1]] += v;
    r.total += v;
  }
  std::regex rec(R"(slime_reconcile_total\{[^}]*\} ([0-9.e+]+))");
  r.reconciles = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), rec), end; it != end; ++it) r.reconciles += std::stod((*it)[1]);
  return r;
}

// Heap bytes in use in this process (small blocks and mmapped ones).
size_t heap_in_use() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

struct KindMemory {
  std::string kind;
  size_t count = 0;
  double whole = 0, cached = 0;  // bytes per object: as the server sends it (managedFields dropped), as slime caches it
};

// The projection slime's configured modules ask for (core/projection.h), for the memory table.
slime::core::Projection configured_projection(std::vector<std::unique_ptr<slime::core::Module>>& keep) {
  auto parsed = slime::core::parse_yaml_documents(config_text(), "config.yaml");
  if (parsed.documents.empty()) return {};
  auto cfg = slime::core::parse_slime_config(parsed.documents[0].json, "config.yaml");
  if (!cfg) return {};
  auto inst = slime::modules::instantiate(*cfg);
  if (!inst) return {};
  keep = std::move(inst->modules);
  std::vector<const slime::core::Module*> plain;
  for (auto& m : keep) plain.push_back(m.get());
  return slime::core::Projection::of(plain);
}

// Where slime's memory goes: the objects of each kind in the cluster, measured in this process as whole
// JSON trees and as slime caches them: cut down to what the modules read and packed, unless a module scans
// the kind (core/projection.h); 0 bytes when the kind is not watched at all.
std::vector<KindMemory> memory_by_kind(slime::kube::Client& c) {
  std::vector<std::unique_ptr<slime::core::Module>> modules;
  auto projection = configured_projection(modules);
  std::vector<KindMemory> out;
  const std::vector<slime::core::Gvk> kinds = {{"", "v1", "Service"},
                                               {"", "v1", "Pod"},
                                               {"discovery.k8s.io", "v1", "EndpointSlice"},
                                               {"networking.istio.io", "v1", "VirtualService"},
                                               {"", "v1", "Secret"},
                                               {"", "v1", "Namespace"},
                                               {"microservice.slime.io", "v1alpha1", "ServiceFence"},
                                               {"networking.istio.io", "v1", "Sidecar"}};
  for (const auto& gvk : kinds) {
    auto listed = c.list(gvk);
    if (!listed || listed->items.empty()) continue;
    for (auto& o : listed->items) o.json()["metadata"].erase("managedFields");
    KindMemory k{gvk.kind, listed->items.size()};
    size_t h0 = heap_in_use();
    std::vector<Object> whole(listed->items);
    k.whole = static_cast<double>(heap_in_use() - h0) / static_cast<double>(k.count);
    whole.clear();
    whole.shrink_to_fit();
    if (projection.needed(gvk.group_kind())) {
      size_t h1 = heap_in_use();
      std::vector<Object> cached;
      cached.reserve(listed->items.size());
      for (const auto& o : listed->items) {
        Object copy = o;
        projection.apply(copy);
        if (projection.packs(copy)) copy.pack();  // as the cluster cache keeps it
        cached.push_back(std::move(copy));
      }
      k.cached = static_cast<double>(heap_in_use() - h1) / static_cast<double>(k.count);
    }
    out.push_back(k);
  }
  return out;
}

struct Row {
  int services = 0;
  size_t seeded = 0;  // objects created before slime starts (namespaces and CRDs aside)
  double create_s = 0, converge_s = 0;
  Requests requests;
  double slime_cpu_s = 0, servers_cpu_s = 0;
  long rss_kb = 0;
  long synced_rss_kb = -1;    // RSS when slime first reported ready (caches synced)
  double synced_objects = -1;  // slime_store_objects then
  bool ok = false;
  // Steady state under Pod churn (realistic mesh with --churn).
  double churn_s = 0, churn_pods = 0, churn_slime_cpu_per_s = 0, churn_servers_cpu_per_s = 0;
  long churn_rss_kb = 0;
  std::vector<KindMemory> memory;
};

std::string ns_of(int service) { return "bench-" + std::to_string(service / kServicesPerNamespace); }
std::string ip_of(long n) {
  return "10." + std::to_string((n >> 16) & 255) + "." + std::to_string((n >> 8) & 255) + "." + std::to_string(n & 255);
}

Object service(int i) {
  Object svc("v1", "Service", ns_of(i), "svc-" + std::to_string(i));
  svc.json()["spec"] = {{"ports", Json::array({{{"port", 80}, {"protocol", "TCP"}, {"targetPort", 80}, {"name", "http"}}})},
                        {"selector", {{"app", "svc-" + std::to_string(i)}}}};
  // BENCH_HEADLESS=1: no ClusterIP. The envtest apiserver allocates ClusterIPs at a cost that grows with
  // the Services already allocated (≈ 16 creates/s by 18,000 on the 2-core machine), which makes seeding
  // 50,000 take most of an hour; slime reads no ClusterIP, so its side of the benchmark is the same.
  if (const char* h = std::getenv("BENCH_HEADLESS"); h && std::string(h) == "1") svc.json()["spec"]["clusterIP"] = "None";
  return svc;
}

// A Pod as a Deployment and Istio's injector would write it: the app container and istio-proxy.
Object pod(int service_index, const std::string& name) {
  std::string app = "svc-" + std::to_string(service_index);
  Object p("v1", "Pod", ns_of(service_index), name);
  p.json()["metadata"]["labels"] = {{"app", app},
                                    {"version", "v1"},
                                    {"pod-template-hash", "7d4b9c8f6"},
                                    {"security.istio.io/tlsMode", "istio"},
                                    {"service.istio.io/canonical-name", app}};
  p.json()["metadata"]["annotations"] = {{"sidecar.istio.io/status", R"({"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null})"},
                                         {"prometheus.io/port", "15020"},
                                         {"prometheus.io/scrape", "true"}};
  auto resources = [](const char* cpu, const char* mem) {
    return Json{{"requests", {{"cpu", cpu}, {"memory", mem}}}, {"limits", {{"cpu", "2"}, {"memory", "1Gi"}}}};
  };
  Json app_container = {{"name", "app"},
                        {"image", "registry.example.com/shop/" + app + ":1.4.2"},
                        {"ports", Json::array({{{"containerPort", 80}, {"name", "http"}, {"protocol", "TCP"}}})},
                        {"env", Json::array({{{"name", "LOG_LEVEL"}, {"value", "info"}}, {{"name", "SERVICE_NAME"}, {"value", app}}})},
                        {"resources", resources("100m", "128Mi")},
                        {"readinessProbe", {{"httpGet", {{"path", "/healthz"}, {"port", 80}}}, {"periodSeconds", 10}}}};
  Json proxy = {{"name", "istio-proxy"},
                {"image", "docker.io/istio/proxyv2:1.22.0"},
                {"args", Json::array({"proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
                                      "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error", "--log_output_level=default:info"})},
                {"ports", Json::array({{{"containerPort", 15090}, {"name", "http-envoy-prom"}, {"protocol", "TCP"}}})},
                {"env", Json::array({{{"name", "JWT_POLICY"}, {"value", "third-party-jwt"}},
                                     {{"name", "PILOT_CERT_PROVIDER"}, {"value", "istiod"}},
                                     {{"name", "CA_ADDR"}, {"value", "istiod.istio-system.svc:15012"}},
                                     {{"name", "ISTIO_META_APP_CONTAINERS"}, {"value", "app"}},
                                     {{"name", "ISTIO_META_CLUSTER_ID"}, {"value", "Kubernetes"}}})},
                {"resources", resources("100m", "128Mi")},
                {"readinessProbe", {{"httpGet", {{"path", "/healthz/ready"}, {"port", 15021}}}, {"periodSeconds", 15}}}};
  p.json()["spec"] = {{"containers", Json::array({app_container, proxy})},
                      {"nodeName", "node-" + std::to_string(service_index % 50)},
                      {"restartPolicy", "Always"},
                      // No kubelet confirms a graceful deletion here: 0 makes the churn's deletes immediate.
                      {"terminationGracePeriodSeconds", 0}};
  return p;
}

Json pod_status(const std::string& ip) {
  Json ready = Json::array();
  for (const char* c : {"Initialized", "Ready", "ContainersReady", "PodScheduled"})
    ready.push_back({{"type", c}, {"status", "True"}, {"lastTransitionTime", "2026-11-01T10:00:00Z"}});
  Json containers = Json::array();
  for (const char* c : {"app", "istio-proxy"})
    containers.push_back({{"name", c}, {"ready", true}, {"restartCount", 0}, {"image", c}, {"imageID", std::string("sha256:") + std::string(64, 'a')},
                          {"containerID", std::string("containerd://") + std::string(64, 'b')},
                          {"state", {{"running", {{"startedAt", "2026-11-01T10:00:05Z"}}}}}});
  return {{"phase", "Running"}, {"podIP", ip}, {"podIPs", Json::array({{{"ip", ip}}})}, {"hostIP", "192.168.0.10"},
          {"startTime", "2026-11-01T10:00:00Z"}, {"conditions", ready}, {"containerStatuses", containers}};
}

// Creates the Pod and makes it Running with `ip` (the status subresource: there is no kubelet here).
bool create_running_pod(slime::kube::Client& c, int service_index, const std::string& name, const std::string& ip) {
  Object p = pod(service_index, name);
  if (!c.create(p)) return false;
  p.json()["status"] = pod_status(ip);
  p.json()["metadata"].erase("annotations");
  p.json()["metadata"].erase("labels");
  p.json().erase("spec");
  return static_cast<bool>(c.apply_status(p));
}

Object endpoint_slice(int i, long first_ip) {
  std::string svc = "svc-" + std::to_string(i);
  Object s("discovery.k8s.io/v1", "EndpointSlice", ns_of(i), svc + "-x7k2p");
  s.json()["metadata"]["labels"] = {{"kubernetes.io/service-name", svc}, {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}};
  s.json()["addressType"] = "IPv4";
  s.json()["ports"] = Json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}});
  Json eps = Json::array();
  for (int k = 0; k < kPodsPerService; ++k)
    eps.push_back({{"addresses", Json::array({ip_of(first_ip + k)})},
                   {"conditions", {{"ready", true}, {"serving", true}, {"terminating", false}}},
                   {"nodeName", "node-" + std::to_string(i % 50)},
                   {"targetRef", {{"kind", "Pod"}, {"namespace", ns_of(i)}, {"name", svc + "-" + std::to_string(k)}}}});
  s.json()["endpoints"] = eps;
  return s;
}

Object virtual_service(int first) {
  Object vs("networking.istio.io/v1", "VirtualService", ns_of(first), "vs-" + std::to_string(first));
  Json hosts = Json::array(), routes = Json::array();
  for (int k = first; k < first + kServicesPerVirtualService; ++k) hosts.push_back("svc-" + std::to_string(k));
  routes.push_back({{"match", Json::array({{{"uri", {{"prefix", "/api"}}}}})},
                    {"route", Json::array({{{"destination", {{"host", "svc-" + std::to_string(first)}, {"port", {{"number", 80}}}}}, {"weight", 100}}})},
                    {"timeout", "5s"}});
  vs.json()["spec"] = {{"hosts", hosts}, {"http", routes}};
  return vs;
}

Object secret(int ns_index) {
  Object s("v1", "Secret", "bench-" + std::to_string(ns_index), "tls-cert");
  s.json()["type"] = "kubernetes.io/tls";
  // A 2048-bit certificate and key are about 1.2 and 1.7 KB of PEM, base64 again in the Secret.
  s.json()["data"] = {{"tls.crt", std::string(1600, 'Q')}, {"tls.key", std::string(2300, 'R')}};
  return s;
}

// Runs fn(i) for i in [0, n) on 8 threads, each with its own client.
template <typename Fn>
size_t parallel_create(const slime::kube::ClusterConfig& cfg, int n, Fn fn) {
  std::atomic<int> next{0};
  std::atomic<size_t> made{0};
  std::vector<std::thread> creators;
  for (int t = 0; t < 8; ++t)
    creators.emplace_back([&] {
      slime::kube::Client cc(cfg);
      for (int i = next++; i < n; i = next++) made += fn(cc, i);
    });
  for (auto& t : creators) t.join();
  return made;
}

size_t seed_realistic(const slime::kube::ClusterConfig& cfg, int n) {
  size_t made = parallel_create(cfg, n, [](slime::kube::Client& c, int i) -> size_t {
    size_t k = c.create(service(i)) ? 1 : 0;
    long first_ip = static_cast<long>(i) * kPodsPerService + 256;
    for (int p = 0; p < kPodsPerService; ++p)
      k += create_running_pod(c, i, "svc-" + std::to_string(i) + "-" + std::to_string(p), ip_of(first_ip + p)) ? 1 : 0;
    k += c.create(endpoint_slice(i, first_ip)) ? 1 : 0;
    if (i % kServicesPerVirtualService == 0) k += c.create(virtual_service(i)) ? 1 : 0;
    if (i % kServicesPerNamespace == 0) k += c.create(secret(i / kServicesPerNamespace)) ? 1 : 0;
    return k;
  });
  return made;
}

// Replaces `rate` Pods per second for `seconds`: deletes a Pod of a Service and creates a Running
// replacement with a fresh name and IP, as a rolling update does.
double churn_pods(const slime::kube::ClusterConfig& cfg, int services, int rate, int seconds) {
  std::atomic<long> done{0};
  std::atomic<bool> stop{false};
  std::atomic<long> next{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t)
    workers.emplace_back([&] {
      slime::kube::Client c(cfg);
      while (!stop) {
        long k = next++;
        // Pace: the k-th replacement starts no earlier than k / rate seconds in.
        auto due = t0 + std::chrono::microseconds(k * 1000000 / rate);
        // A server that cannot keep up gets a lower rate (reported), not a longer run.
        if (due > t0 + std::chrono::seconds(seconds) || std::chrono::steady_clock::now() > t0 + std::chrono::seconds(seconds)) break;
        std::this_thread::sleep_until(due);
        // Slot k cycles over every Pod of the mesh; generation g of slot s is Pod "svc-<i>-<p>[-g<g>]".
        long slots = static_cast<long>(services) * kPodsPerService, slot = k % slots, gen = k / slots;
        int svc = static_cast<int>(slot / kPodsPerService);
        std::string base = "svc-" + std::to_string(svc) + "-" + std::to_string(slot % kPodsPerService);
        auto name_of = [&](long g) { return g == 0 ? base : base + "-g" + std::to_string(g); };
        (void)c.remove({"", "v1", "Pod"}, ns_of(svc), name_of(gen));
        if (create_running_pod(c, svc, name_of(gen + 1), ip_of(16777216L / 2 + k))) ++done;
      }
    });
  for (auto& t : workers) t.join();
  (void)stop;
  return static_cast<double>(done.load());
}

bool http_ok(int port, const char* path) {
  return sh("curl -sf -o /dev/null http://127.0.0.1:" + std::to_string(port) + path);
}

double store_objects(int port, const fs::path& dir) {
  fs::path out = dir / "objects.txt";
  if (!sh("curl -s http://127.0.0.1:" + std::to_string(port) + "/metrics > " + out.string())) return -1;
  std::smatch m;
  std::string text = slurp(out);
  if (std::regex_search(text, m, std::regex(R"(slime_store_objects(\{\})? ([0-9.e+]+))"))) return std::stod(m[2]);
  return -1;
}

// Creates the CRDs, namespaces and the mesh's objects; row.seeded and row.create_s say what it took.
void seed(const fs::path& src, const fs::path& dir, slime::kube::Client& c, const slime::kube::ClusterConfig& cfg, int n,
          bool realistic, Row& row) {
  fs::create_directories(dir / "crds");
  bool crds = install_crds(c, src / "tools/envtest/bin/istio-crds.yaml");
  for (auto& e : fs::directory_iterator(src / "api/crds"))
    if (e.path().extension() == ".yaml" && e.path().filename() != "kustomization.yaml") crds &= install_crds(c, e.path());
  if (!crds) std::cerr << "warning: CRD install failed\n";
  std::this_thread::sleep_for(std::chrono::seconds(2));  // CRDs become served

  int namespaces = (n + kServicesPerNamespace - 1) / kServicesPerNamespace;
  for (const char* ns : {"mesh-operator", "istio-system"}) (void)c.apply(Object("v1", "Namespace", "", ns));
  for (int i = 0; i < namespaces; ++i) (void)c.apply(Object("v1", "Namespace", "", "bench-" + std::to_string(i)));
  auto t0 = std::chrono::steady_clock::now();
  row.seeded = realistic ? seed_realistic(cfg, n)
                         : parallel_create(cfg, n, [](slime::kube::Client& cc, int i) -> size_t { return cc.create(service(i)) ? 1 : 0; });
  row.create_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Row run_one(int n, bool realistic, int churn_seconds, const fs::path& src, const fs::path& slime_bin) {
  Row row;
  row.services = n;
  char tmpl[] = "/tmp/slime-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return row;
  fs::path dir = tmpl;
  // BENCH_STATE=DIR keeps the seeded cluster (etcd data, certificates, ports) in DIR/<mesh>-<n> and
  // starts later runs from a copy of it: seeding the realistic mesh takes far longer than measuring it.
  fs::path snapshot;
  if (const char* state = std::getenv("BENCH_STATE"))
    snapshot = fs::path(state) / ((realistic ? "realistic-" : "services-") + std::string(std::getenv("BENCH_HEADLESS") ? "headless-" : "") +
                                  std::to_string(n));
  bool reuse = !snapshot.empty() && fs::exists(snapshot / "seeded");
  if (reuse && !sh("cp -a " + snapshot.string() + "/. " + dir.string())) return row;
  if (!sh((src / "tools/envtest/start.sh").string() + " " + dir.string() + " >/dev/null")) return row;
  auto cfg = slime::kube::load_kubeconfig((dir / "kubeconfig").string());
  slime::kube::Client c(*cfg);
  if (reuse) {
    row.seeded = std::stoul("0" + slurp(snapshot / "seeded"));
    std::cerr << "reusing the cluster seeded in " << snapshot << "\n";
  } else {
    seed(src, dir, c, *cfg, n, realistic, row);
    if (!snapshot.empty()) {
      // Stopped servers, so the copy is a consistent etcd; start.sh reuses the same ports and certificates.
      sh((src / "tools/envtest/stop.sh").string() + " " + dir.string());
      fs::create_directories(snapshot);
      bool copied = sh("cp -a " + dir.string() + "/. " + snapshot.string());
      if (copied) std::ofstream(snapshot / "seeded") << row.seeded;
      if (!sh((src / "tools/envtest/start.sh").string() + " " + dir.string() + " >/dev/null")) return row;
    }
  }

  std::ofstream(dir / "config.yaml") << config_text();
  fs::path log = dir / "slime.log";
  int port = free_port();
  auto start = std::chrono::steady_clock::now();
  double servers_cpu_before = servers_cpu_seconds(dir);
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    dup2(fileno(stderr), fileno(stdout));
    std::string kubeconfig = (dir / "kubeconfig").string(), config = (dir / "config.yaml").string();
    std::string admin = "127.0.0.1:" + std::to_string(port);
    std::vector<const char*> args{"slime", "run", "--kubeconfig", kubeconfig.c_str(), "--config", config.c_str(),
                                  "--admin-addr", admin.c_str(), "--als-addr", "off", "--log-level", "warn"};
    // Reconcile workers per module: slime's default unless BENCH_WORKERS says otherwise.
    if (const char* workers = std::getenv("BENCH_WORKERS")) {
      args.push_back("--workers");
      args.push_back(workers);
    }
    args.push_back(nullptr);
    execv(slime_bin.c_str(), const_cast<char* const*>(args.data()));
    _exit(127);
  }
  SidecarCounter sidecars(*cfg);
  auto deadline = start + std::chrono::seconds(900);
  while (std::chrono::steady_clock::now() < deadline) {
    if (row.synced_rss_kb < 0 && http_ok(port, "/readyz")) {
      row.synced_rss_kb = rss_kb(pid);
      row.synced_objects = store_objects(port, dir);
    }
    if (sidecars.count() >= static_cast<size_t>(n)) {
      row.ok = true;
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  row.converge_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  row.rss_kb = peak_rss_kb(pid);
  row.slime_cpu_s = cpu_seconds(pid);
  row.servers_cpu_s = servers_cpu_seconds(dir) - servers_cpu_before;
  row.requests = scrape(port, dir);
  if (row.ok && realistic && churn_seconds > 0) {
    double slime0 = cpu_seconds(pid), servers0 = servers_cpu_seconds(dir);
    auto c0 = std::chrono::steady_clock::now();
    row.churn_pods = churn_pods(*cfg, n, 100, churn_seconds);
    row.churn_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    row.churn_slime_cpu_per_s = (cpu_seconds(pid) - slime0) / row.churn_s;
    row.churn_servers_cpu_per_s = (servers_cpu_seconds(dir) - servers0) / row.churn_s;
    row.churn_rss_kb = rss_kb(pid);
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  if (row.ok) row.memory = memory_by_kind(c);
  std::string text = slurp(log);
  if (!row.ok) std::cerr << "did not converge; slime log tail:\n" << text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
  sh((src / "tools/envtest/stop.sh").string() + " " + dir.string());
  fs::remove_all(dir);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  bool realistic = false;
  int churn_seconds = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--mesh" && i + 1 < argc) realistic = std::string(argv[++i]) == "realistic";
    else if (a == "--churn" && i + 1 < argc) churn_seconds = std::atoi(argv[++i]);
    else sizes.push_back(std::atoi(argv[i]));
  }
  if (sizes.empty()) sizes = {1000, 5000, 10000};
  auto kinds = slime::modules::available_kinds();
  if (std::find(kinds.begin(), kinds.end(), "lazyload") == kinds.end()) {
    std::cout << "bench_apiserver: the lazyload module is not in this build; nothing to measure\n";
    return 0;
  }
  fs::path src = SLIME_SOURCE_DIR;
  // BENCH_SLIME: another build's slime (e.g. the main branch's, for before/after figures).
  fs::path slime_bin = std::getenv("BENCH_SLIME") ? fs::path(std::getenv("BENCH_SLIME")) : fs::path(SLIME_BINARY_DIR) / "bin/slime";
  if (!sh((src / "tools/envtest/build.sh").string() + " >/dev/null")) return 1;
  std::printf("mesh: %s%s\n", realistic ? "realistic (5 Pods and an EndpointSlice per Service, a VirtualService per 10, a Secret per namespace)" : "Services only",
              std::getenv("BENCH_FENCE_LABEL") ? " with workload fences" : "");
  std::printf("%9s %8s %10s %16s %11s %15s %11s %10s %14s %10s  %s\n", "services", "objects", "create (s)", "all Sidecars (s)",
              "peak RSS MB", "synced RSS MB", "requests", "reconciles", "servers CPU s", "slime CPU s", "requests by verb");
  for (int n : sizes) {
    Row r = run_one(n, realistic, churn_seconds, src, slime_bin);
    std::string verbs;
    for (auto& [verb, count] : r.requests.by_verb) verbs += verb + "=" + std::to_string(static_cast<long>(count)) + " ";
    char synced[64];
    std::snprintf(synced, sizeof synced, "%.1f/%.0f obj", r.synced_rss_kb / 1024.0, r.synced_objects);
    std::printf("%9d %8zu %10.1f %16.1f %11.1f %15s %11.0f %10.0f %14.1f %10.1f  %s%s\n", r.services, r.seeded, r.create_s, r.converge_s,
                r.rss_kb / 1024.0, synced, r.requests.total, r.requests.reconciles, r.servers_cpu_s, r.slime_cpu_s, verbs.c_str(),
                r.ok ? "" : "(did not converge)");
    if (r.churn_s > 0)
      std::printf("%9s churn: %.0f Pods replaced in %.1f s (%.0f/s); slime RSS %.1f MB, slime CPU %.3f s/s, servers CPU %.2f s/s\n", "",
                  r.churn_pods, r.churn_s, r.churn_pods / r.churn_s, r.churn_rss_kb / 1024.0, r.churn_slime_cpu_per_s,
                  r.churn_servers_cpu_per_s);
    for (const auto& k : r.memory)
      std::printf("%9s memory: %-14s %7zu objects, %6.0f B each whole, %6.0f B as cached (%5.1f MB)\n", "", k.kind.c_str(), k.count,
                  k.whole, k.cached, k.cached * static_cast<double>(k.count) / 1048576.0);
    std::fflush(stdout);
  }
  return 0;
}

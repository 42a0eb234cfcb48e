// bench_apiserver: `slime run` (lazyload, auto-fence) against a real kube-apiserver with N Services in
// fenced namespaces. For each N, on a fresh envtest cluster: create the Services, start slime, and
// measure the time until every Service has its Sidecar, the API requests slime made (by verb), slime's
// peak RSS, and the CPU time slime and the servers (kube-apiserver + etcd, which share the machine)
// spent meanwhile. Prints a table. A program, not a test: it asserts nothing.
//
//   [BENCH_WORKERS=N] bench_apiserver [N ...]          default: 1000 5000 10000; workers: slime's default
#include <signal.h>
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

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool sh(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

long peak_rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
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

struct Row {
  int services = 0;
  double create_s = 0, converge_s = 0;
  Requests requests;
  double slime_cpu_s = 0, servers_cpu_s = 0;
  long rss_kb = 0;
  bool ok = false;
};

Row run_one(int n, const fs::path& src, const fs::path& slime_bin) {
  Row row;
  row.services = n;
  char tmpl[] = "/tmp/slime-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return row;
  fs::path dir = tmpl;
  if (!sh((src / "tools/envtest/start.sh").string() + " " + dir.string() + " >/dev/null")) return row;
  auto cfg = slime::kube::load_kubeconfig((dir / "kubeconfig").string());
  slime::kube::Client c(*cfg);
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
  std::atomic<int> next{0};
  std::vector<std::thread> creators;
  for (int t = 0; t < 8; ++t)
    creators.emplace_back([&] {
      slime::kube::Client cc(*cfg);
      for (int i = next++; i < n; i = next++) {
        Object svc("v1", "Service", "bench-" + std::to_string(i / kServicesPerNamespace), "svc-" + std::to_string(i));
        svc.json()["spec"] = {{"ports", Json::array({{{"port", 80}, {"protocol", "TCP"}, {"targetPort", 80}}})},
                              {"selector", {{"app", "svc-" + std::to_string(i)}}}};
        (void)cc.create(svc);
      }
    });
  for (auto& t : creators) t.join();
  row.create_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::ofstream(dir / "config.yaml") << kConfig;
  fs::path log = dir / "slime.log";
  auto start = std::chrono::steady_clock::now();
  double servers_cpu_before = servers_cpu_seconds(dir);
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    dup2(fileno(stderr), fileno(stdout));
    std::string kubeconfig = (dir / "kubeconfig").string(), config = (dir / "config.yaml").string();
    std::vector<const char*> args{"slime", "run", "--kubeconfig", kubeconfig.c_str(), "--config", config.c_str(),
                                  "--admin-addr", "127.0.0.1:0", "--als-addr", "off", "--log-level", "warn"};
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
  auto deadline = start + std::chrono::seconds(600);
  while (std::chrono::steady_clock::now() < deadline) {
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
  std::smatch m;
  std::string text = slurp(log);
  // The admin port is only logged at info level; ask /proc for the listening socket instead.
  int port = 0;
  if (std::regex_search(text, m, std::regex("port=([0-9]+)"))) port = std::stoi(m[1]);
  if (port == 0) {
    sh("ss -Hltnp 2>/dev/null | grep 'pid=" + std::to_string(pid) + ",' | grep -o '127.0.0.1:[0-9]*' | head -1 | cut -d: -f2 > " +
       (dir / "port").string());
    std::string p = slurp(dir / "port");
    if (!p.empty()) port = std::stoi(p);
  }
  if (port) row.requests = scrape(port, dir);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!row.ok) std::cerr << "did not converge; slime log tail:\n" << text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
  sh((src / "tools/envtest/stop.sh").string() + " " + dir.string());
  fs::remove_all(dir);
  return row;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {1000, 5000, 10000};
  auto kinds = slime::modules::available_kinds();
  if (std::find(kinds.begin(), kinds.end(), "lazyload") == kinds.end()) {
    std::cout << "bench_apiserver: the lazyload module is not in this build; nothing to measure\n";
    return 0;
  }
  fs::path src = SLIME_SOURCE_DIR;
  fs::path slime_bin = fs::path(SLIME_BINARY_DIR) / "bin/slime";
  if (!sh((src / "tools/envtest/build.sh").string() + " >/dev/null")) return 1;
  std::printf("%9s %10s %16s %11s %11s %10s %14s %10s  %s\n", "services", "create (s)", "all Sidecars (s)",
              "peak RSS MB", "requests", "reconciles", "servers CPU s", "slime CPU s", "requests by verb");
  for (int n : sizes) {
    Row r = run_one(n, src, slime_bin);
    std::string verbs;
    for (auto& [verb, count] : r.requests.by_verb) verbs += verb + "=" + std::to_string(static_cast<long>(count)) + " ";
    std::printf("%9d %10.1f %16.1f %11.1f %11.0f %10.0f %14.1f %10.1f  %s%s\n", r.services, r.create_s, r.converge_s,
                r.rss_kb / 1024.0, r.requests.total, r.requests.reconciles, r.servers_cpu_s, r.slime_cpu_s, verbs.c_str(),
                r.ok ? "" : "(did not converge)");
    std::fflush(stdout);
  }
  return 0;
}

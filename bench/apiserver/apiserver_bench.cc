// bench_apiserver: `slime run` (lazyload, auto-fence) against a real kube-apiserver with N Services in
// fenced namespaces. For each N, on a fresh envtest cluster: create the Services, start slime, and
// measure the time until every Service has its Sidecar, the API requests slime made, and slime's
// peak RSS. Prints a table. A program, not a test: it asserts nothing.
//
//   [BENCH_WORKERS=8] bench_apiserver [N ...]          default: 1000 5000 10000
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
#include <regex>
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

size_t count(slime::kube::Client& c, const slime::core::Gvk& gvk) {
  auto l = c.list(gvk, {.ns = {}, .label_selector = {}, .field_selector = {}, .page_size = 1000});
  return l ? l->items.size() : 0;
}

double scrape_requests(int port) {
  std::string out = "/tmp/slime-bench-metrics.txt";
  if (!sh("curl -s http://127.0.0.1:" + std::to_string(port) + "/metrics > " + out)) return -1;
  std::regex re(R"(slime_api_requests_total\{[^}]*\} ([0-9.e+]+))");
  double total = 0;
  std::string text = slurp(out);
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) total += std::stod((*it)[1]);
  return total;
}

struct Row {
  int services = 0;
  double create_s = 0, converge_s = 0, requests = 0;
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
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    dup2(fileno(stderr), fileno(stdout));
    const char* workers = std::getenv("BENCH_WORKERS");  // reconcile workers per module
    execl(slime_bin.c_str(), "slime", "run", "--kubeconfig", (dir / "kubeconfig").c_str(), "--config",
          (dir / "config.yaml").c_str(), "--admin-addr", "127.0.0.1:0", "--log-level", "warn", "--workers",
          workers ? workers : "8", nullptr);
    _exit(127);
  }
  const slime::core::Gvk sidecar{"networking.istio.io", "v1", "Sidecar"};
  auto deadline = start + std::chrono::seconds(600);
  while (std::chrono::steady_clock::now() < deadline) {
    if (count(c, sidecar) >= static_cast<size_t>(n)) {
      row.ok = true;
      break;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    // Listing every Sidecar is work for the apiserver too: poll gently (the figure is +-1 s).
    std::this_thread::sleep_for(std::chrono::milliseconds(n >= 5000 ? 2000 : 1000));
  }
  row.converge_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  row.rss_kb = peak_rss_kb(pid);
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
  row.requests = port ? scrape_requests(port) : -1;
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
  std::printf("%9s %12s %14s %12s %12s %s\n", "services", "create (s)", "all Sidecars (s)", "requests", "peak RSS MB", "");
  for (int n : sizes) {
    Row r = run_one(n, src, slime_bin);
    std::printf("%9d %12.1f %14.1f %12.0f %12.1f %s\n", r.services, r.create_s, r.converge_s, r.requests,
                r.rss_kb / 1024.0, r.ok ? "" : "(did not converge)");
    std::fflush(stdout);
  }
  return 0;
}

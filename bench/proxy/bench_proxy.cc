// Throughput and latency of HTTP/1.1 keep-alive GETs through the proxy vs straight to the backend, with
// wrk, at 1 and 64 connections. Usage: bench_proxy [seconds per run, default 3] [proxy threads, default 1]
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include "slime/core/yaml.h"
#include "slime/proxy/server.h"
#include "slime/store/memory_store.h"
#include "test_backends.h"

namespace {

struct WrkResult {
  double rps = 0;
  std::string p50, p99;
  double client_cpu = 0;  // wrk's CPU seconds
};

WrkResult run_wrk(const std::string& url, const std::string& host, int conns, int seconds) {
  int threads = conns > 1 ? 2 : 1;
  // /usr/bin/time reports wrk's own CPU (user + system seconds) on the last line.
  std::string cmd = "/usr/bin/time -f 'wrk-cpu %U %S' wrk -t" + std::to_string(threads) + " -c" +
                    std::to_string(conns) + " -d" + std::to_string(seconds) + "s --latency -H 'Host: " + host + "' " +
                    url + " 2>&1";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    ::pclose(p);
  }
  WrkResult r;
  std::smatch m;
  if (std::regex_search(out, m, std::regex(R"(Requests/sec:\s+([0-9.]+))"))) r.rps = std::stod(m[1]);
  if (std::regex_search(out, m, std::regex(R"(\n\s+50%\s+(\S+))"))) r.p50 = m[1];
  if (std::regex_search(out, m, std::regex(R"(\n\s+99%\s+(\S+))"))) r.p99 = m[1];
  if (std::regex_search(out, m, std::regex(R"(wrk-cpu ([0-9.]+) ([0-9.]+))")))
    r.client_cpu = std::stod(m[1]) + std::stod(m[2]);
  if (r.rps == 0) std::fprintf(stderr, "wrk output:\n%s\n", out.c_str());
  return r;
}

// CPU seconds (user + system) used so far by this process, split into the proxy's I/O threads (named
// slime-proxy) and the rest (the backend). Less dependent on how busy the shared machine is than req/s.
struct CpuSplit {
  double proxy = 0, other = 0;
};
CpuSplit cpu_now() {
  CpuSplit c;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return c;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/stat");
    std::string line;
    std::getline(f, line);
    auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string comm = line.substr(open + 1, close - open - 1);
    // Fields after ") ": state(3) ... utime(14) stime(15).
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double ut = 0, st = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) ut = std::stod(field);
      if (i == 15) st = std::stod(field);
    }
    if (comm == "slime-proxy") c.proxy += (ut + st) / tick;
  }
  ::closedir(d);
  // Threads that ended (the backend's per-connection threads) count in the process total only.
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  c.other = secs(ru.ru_utime) + secs(ru.ru_stime) - c.proxy;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 3;
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  slime::testing::HttpBackend backend("web");
  std::string yaml =
      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
      "spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n---\n"
      "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: default}\n"
      "subsets: [{addresses: [{ip: 127.0.0.3}], ports: [{name: http, port: " +
      std::to_string(backend.port()) + "}]}]\n";
  slime::store::MemoryStore mem;
  for (auto& d : slime::core::parse_yaml_documents(yaml).documents) mem.put(slime::core::Object(d.json));
  slime::proxy::ProxyOptions opts;
  opts.listen = {"127.0.0.1:0"};
  opts.threads = threads;
  slime::proxy::ProxyServer proxy(opts);
  proxy.set_mesh(std::make_shared<const slime::proxy::MeshIndex>(slime::proxy::MeshIndex::build(mem)));
  if (auto r = proxy.start(); !r) {
    std::fprintf(stderr, "proxy: %s\n", r.error().str().c_str());
    return 1;
  }
  std::string direct = "http://127.0.0.3:" + std::to_string(backend.port()) + "/hello";
  std::string via = "http://127.0.0.1:" + std::to_string(proxy.ports()[0]) + "/hello";
  std::printf("bench_proxy: GET /hello (14-byte body), keep-alive, %d s per run, proxy threads %d\n", seconds, threads);
  std::printf("(CPU columns: microseconds of CPU per request spent by wrk, the backend and the proxy threads)\n");
  std::printf("%-6s %-7s %12s %10s %10s %8s %9s %9s %9s\n", "conns", "path", "req/s", "p50", "p99", "ratio", "wrk",
              "backend", "proxy");
  for (int conns : {1, 64}) {
    auto c0 = cpu_now();
    auto d = run_wrk(direct, "web.default", conns, seconds);
    auto c1 = cpu_now();
    auto p = run_wrk(via, "web.default", conns, seconds);
    auto c2 = cpu_now();
    auto per_req = [&](double cpu, const WrkResult& r) { return r.rps > 0 ? 1e6 * cpu / (r.rps * seconds) : 0.0; };
    std::printf("%-6d %-7s %12.0f %10s %10s %8s %9.1f %9.1f %9s\n", conns, "direct", d.rps, d.p50.c_str(),
                d.p99.c_str(), "", per_req(d.client_cpu, d), per_req(c1.other - c0.other, d), "");
    std::printf("%-6d %-7s %12.0f %10s %10s %7.0f%% %9.1f %9.1f %9.1f\n", conns, "proxy", p.rps, p.p50.c_str(),
                p.p99.c_str(), d.rps > 0 ? 100.0 * p.rps / d.rps : 0.0, per_req(p.client_cpu, p),
                per_req(c2.other - c1.other, p), per_req(c2.proxy - c1.proxy, p));
  }
  proxy.stop();
  return 0;
}

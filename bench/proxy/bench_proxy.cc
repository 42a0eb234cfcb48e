// Throughput and latency of HTTP/1.1 keep-alive GETs through the proxy vs straight to the backend, with
// wrk, at 1 and 64 connections, in two CPU placements:
//   shared  wrk, the backend and the proxy all on every core (this machine's 2 cores);
//   pinned  wrk and the backend on core 0, the proxy on core 1 — as in a cluster, where the global sidecar
//           is its own pod. The direct runs get the same core 0, so both paths have equal client and
//           backend CPU and the ratio shows what the extra hop costs when it does not take their CPU.
// Rows "grpcN": gRPC unary calls from N caller threads over one channel (one h2c connection), direct vs
// through the proxy (which terminates HTTP/2 and routes every stream); CPU column: the proxy's only.
// Usage: bench_proxy [seconds per run, default 3] [proxy threads, default 1] [shared|pinned|both]
#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "proxy_cpu.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "echo.grpc.pb.h"
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

WrkResult run_wrk(const std::string& url, const std::string& host, int conns, int seconds, bool pinned) {
  int threads = conns > 1 && !pinned ? 2 : 1;
  // /usr/bin/time reports wrk's own CPU (user + system seconds) on the last line.
  std::string cmd = std::string(pinned ? "taskset -c 0 " : "") + "/usr/bin/time -f 'wrk-cpu %U %S' wrk -t" +
                    std::to_string(threads) + " -c" +
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

bool pin(pid_t tid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(tid, sizeof set, &set) == 0;
}

void unpin_all(pid_t tid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int i = 0; i < CPU_SETSIZE; ++i) CPU_SET(i, &set);
  ::sched_setaffinity(tid, sizeof set, &set);
}

// Places every thread of this process: proxy I/O threads (named slime-proxy) on core 1
// and everything else (the backend's accept and connection threads) on core 0, or all on every core.
// The proxy's I/O threads name themselves once they run; placing threads by name before that would leave
// them on the core they inherited. Waits (up to 2 s) until `count` threads carry `name`.
void wait_for_named_threads(const std::string& name, int count) {
  for (int i = 0; i < 200; ++i) {
    int named = 0;
    for_each_thread([&](pid_t, const std::string& dir) {
      std::ifstream f(dir + "comm");
      std::string comm;
      std::getline(f, comm);
      named += comm == name;
    });
    if (named >= count) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::fprintf(stderr, "bench_proxy: the proxy threads did not name themselves; placement may be wrong\n");
}

void place_threads(bool pinned) {
  for_each_thread([&](pid_t tid, const std::string& dir) {
    std::ifstream f(dir + "comm");
    std::string comm;
    std::getline(f, comm);
    if (!pinned) unpin_all(tid);
    else pin(tid, comm == "slime-proxy" ? 1 : 0);
  });
}

// gRPC unary calls from `callers` threads over one channel (one h2c connection, streams multiplexed).
struct GrpcResult {
  double cps = 0;
  double p50_us = 0, p99_us = 0;
  uint64_t failed = 0;
};

GrpcResult run_grpc(const std::string& target, const std::string& authority, int callers, int seconds) {
  grpc::ChannelArguments args;
  args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, authority);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  auto stub = slime::test::Echo::NewStub(channel);
  std::atomic<uint64_t> failed{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(callers));
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < callers; ++t)
    threads.emplace_back([&, t] {
      slime::test::Msg in, out;
      in.set_text("hello");
      while (std::chrono::steady_clock::now() < until) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        auto start = std::chrono::steady_clock::now();
        if (!stub->Say(&ctx, in, &out).ok()) ++failed;
        lat[static_cast<size_t>(t)].push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
      }
    });
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  GrpcResult r;
  r.failed = failed;
  if (all.empty()) return r;
  std::sort(all.begin(), all.end());
  r.cps = static_cast<double>(all.size()) / seconds;
  r.p50_us = all[all.size() / 2];
  r.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  return r;
}

void run_placement(bool pinned, const std::string& direct, const std::string& via, const std::string& grpc_direct,
                   const std::string& grpc_via, int seconds) {
  place_threads(pinned);
  std::printf("\n%s: %s\n", pinned ? "pinned" : "shared",
              pinned ? "wrk (1 thread) and backend on core 0, proxy on core 1"
                     : "wrk (2 threads at 64 connections), backend and proxy on both cores");
  std::printf("%-6s %-7s %12s %10s %10s %8s %9s %9s %9s\n", "conns", "path", "req/s", "p50", "p99", "ratio", "wrk",
              "backend", "proxy");
  for (int conns : {1, 64}) {
    auto c0 = cpu_now();
    auto d = run_wrk(direct, "web.default", conns, seconds, pinned);
    auto c1 = cpu_now();
    auto p = run_wrk(via, "web.default", conns, seconds, pinned);
    auto c2 = cpu_now();
    auto per_req = [&](double cpu, const WrkResult& r) { return r.rps > 0 ? 1e6 * cpu / (r.rps * seconds) : 0.0; };
    std::printf("%-6d %-7s %12.0f %10s %10s %8s %9.1f %9.1f %9s\n", conns, "direct", d.rps, d.p50.c_str(),
                d.p99.c_str(), "", per_req(d.client_cpu, d), per_req(c1.other - c0.other, d), "");
    std::printf("%-6d %-7s %12.0f %10s %10s %7.0f%% %9.1f %9.1f %9.1f\n", conns, "proxy", p.rps, p.p50.c_str(),
                p.p99.c_str(), d.rps > 0 ? 100.0 * p.rps / d.rps : 0.0, per_req(p.client_cpu, p),
                per_req(c2.other - c1.other, p), per_req(c2.proxy - c1.proxy, p));
    std::fflush(stdout);
  }
  // gRPC over h2c: the proxy terminates HTTP/2 and routes every stream (16 callers on one connection).
  for (int callers : {1, 16}) {
    auto d = run_grpc(grpc_direct, "grpc-echo.default:50051", callers, seconds);
    auto c1 = cpu_now();
    auto p = run_grpc(grpc_via, "grpc-echo.default:50051", callers, seconds);
    auto c2 = cpu_now();
    auto us = [](double v) { return std::to_string(static_cast<int>(v)) + "us"; };
    std::printf("grpc%-2d %-7s %12.0f %10s %10s %8s %9s %9s %9s%s\n", callers, "direct", d.cps, us(d.p50_us).c_str(),
                us(d.p99_us).c_str(), "", "", "", "", d.failed ? " (calls failed)" : "");
    std::printf("grpc%-2d %-7s %12.0f %10s %10s %7.0f%% %9s %9s %9.1f%s\n", callers, "proxy", p.cps,
                us(p.p50_us).c_str(), us(p.p99_us).c_str(), d.cps > 0 ? 100.0 * p.cps / d.cps : 0.0, "", "",
                p.cps > 0 ? 1e6 * (c2.proxy - c1.proxy) / (p.cps * seconds) : 0.0, p.failed ? " (calls failed)" : "");
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 3;
  int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  std::string placement = argc > 3 ? argv[3] : "both";
  if (placement != "shared" && placement != "pinned" && placement != "both") {
    std::fprintf(stderr, "bench_proxy: placement must be shared, pinned or both, got %s\n", placement.c_str());
    return 2;
  }
  bool can_pin = ::sysconf(_SC_NPROCESSORS_ONLN) >= 2 && std::system("command -v taskset >/dev/null") == 0;
  if (placement != "shared" && !can_pin) {
    std::fprintf(stderr, "bench_proxy: pinned placement needs 2 cores and taskset; running shared only\n");
    placement = "shared";
  }
  // The backend's threads inherit core 0 from here when pinned; place_threads() moves them back otherwise.
  if (placement != "shared") pin(0, 0);
  slime::testing::HttpBackend backend("web");
  slime::testing::GrpcEchoBackend grpc_backend("127.0.0.4");
  std::string yaml =
      "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
      "spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n---\n"
      "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: default}\n"
      "subsets: [{addresses: [{ip: 127.0.0.3}], ports: [{name: http, port: " +
      std::to_string(backend.port()) + "}]}]\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: grpc-echo, namespace: default}\n"
      "spec: {clusterIP: None, ports: [{name: grpc, port: 50051}]}\n---\n"
      "apiVersion: v1\nkind: Endpoints\nmetadata: {name: grpc-echo, namespace: default}\n"
      "subsets: [{addresses: [{ip: 127.0.0.4}], ports: [{name: grpc, port: " +
      std::to_string(grpc_backend.port()) + "}]}]\n";
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
  wait_for_named_threads("slime-proxy", threads);
  std::string direct = "http://127.0.0.3:" + std::to_string(backend.port()) + "/hello";
  std::string via = "http://127.0.0.1:" + std::to_string(proxy.ports()[0]) + "/hello";
  std::printf("bench_proxy: GET /hello (14-byte body), keep-alive, %d s per run, proxy threads %d\n", seconds, threads);
  std::printf("(CPU columns: microseconds of CPU per request spent by wrk, the backend and the proxy threads)\n");
  std::string grpc_direct = "127.0.0.4:" + std::to_string(grpc_backend.port());
  std::string grpc_via = "127.0.0.1:" + std::to_string(proxy.ports()[0]);
  if (placement != "pinned") run_placement(false, direct, via, grpc_direct, grpc_via, seconds);
  if (placement != "shared") run_placement(true, direct, via, grpc_direct, grpc_via, seconds);
  proxy.stop();
  return 0;
}

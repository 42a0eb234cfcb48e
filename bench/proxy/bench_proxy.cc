// Throughput and latency of HTTP/1.1 keep-alive GETs through the proxy vs straight to the backend, with
// wrk, at 1 and 64 connections. Usage: bench_proxy [seconds per run, default 3] [proxy threads, default 1]
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <regex>
#include <string>

#include "slime/core/yaml.h"
#include "slime/proxy/server.h"
#include "slime/store/memory_store.h"
#include "test_backends.h"

namespace {

struct WrkResult {
  double rps = 0;
  std::string p50, p99;
};

WrkResult run_wrk(const std::string& url, const std::string& host, int conns, int seconds) {
  int threads = conns > 1 ? 2 : 1;
  std::string cmd = "wrk -t" + std::to_string(threads) + " -c" + std::to_string(conns) + " -d" +
                    std::to_string(seconds) + "s --latency -H 'Host: " + host + "' " + url + " 2>&1";
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
  if (r.rps == 0) std::fprintf(stderr, "wrk output:\n%s\n", out.c_str());
  return r;
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
  std::printf("%-6s %-7s %12s %10s %10s %8s\n", "conns", "path", "req/s", "p50", "p99", "ratio");
  for (int conns : {1, 64}) {
    auto d = run_wrk(direct, "web.default", conns, seconds);
    auto p = run_wrk(via, "web.default", conns, seconds);
    std::printf("%-6d %-7s %12.0f %10s %10s %8s\n", conns, "direct", d.rps, d.p50.c_str(), d.p99.c_str(), "");
    std::printf("%-6d %-7s %12.0f %10s %10s %7.0f%%\n", conns, "proxy", p.rps, p.p50.c_str(), p.p99.c_str(),
                d.rps > 0 ? 100.0 * p.rps / d.rps : 0.0);
  }
  proxy.stop();
  return 0;
}

// Learning latency: a caller calls N services it has never called, one after the other, through the
// proxy; for each, the time from sending the request until the caller's Sidecar (in the controller's
// store, already written to the state directory) lists the destination. Usage: bench_learning [N=200]
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "learning_harness.h"

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 200;
  spdlog::set_level(spdlog::level::warn);
  slime::learning::LearningHarness h(n);
  if (!h.start()) {
    std::fprintf(stderr, "start: %s\n", h.error().c_str());
    return 1;
  }
  h.wait_for_sidecar([](const std::string& s) { return !s.empty(); }, std::chrono::seconds(10));
  slime::testing::HttpClient client(h.proxy_port(), slime::learning::kCallerIp);
  std::vector<double> learn_ms, call_ms;
  int missed = 0;
  for (int i = 0; i < n; ++i) {
    std::string host = "dest-" + std::to_string(i) + ".default";
    std::string want = "*/dest-" + std::to_string(i) + ".default.svc.cluster.local";
    auto t0 = std::chrono::steady_clock::now();
    auto r = client.request(slime::testing::get(host, "/hello"));
    auto t1 = std::chrono::steady_clock::now();
    if (r.status != 200) {
      std::fprintf(stderr, "call %d: status %d\n", i, r.status);
      return 1;
    }
    bool ok = h.wait_for_sidecar([&](const std::string& s) { return s.find(want) != std::string::npos; },
                                 std::chrono::seconds(5));
    auto t2 = std::chrono::steady_clock::now();
    if (!ok) ++missed;
    call_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    learn_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t0).count());
  }
  auto pct = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
  };
  std::printf("bench_learning: %d new destinations, one caller, sequential\n", n);
  std::printf("%-34s %9s %9s %9s\n", "", "p50 ms", "p99 ms", "max ms");
  std::printf("%-34s %9.2f %9.2f %9.2f\n", "first call through the proxy", pct(call_ms, 0.5), pct(call_ms, 0.99),
              pct(call_ms, 1.0));
  std::printf("%-34s %9.2f %9.2f %9.2f\n", "call sent -> Sidecar lists dest", pct(learn_ms, 0.5), pct(learn_ms, 0.99),
              pct(learn_ms, 1.0));
  std::printf("not learned within 5 s: %d\n", missed);
  return missed ? 1 : 0;
}

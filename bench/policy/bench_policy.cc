// Policy figures: one definition (the outlier-guard shape: one PromQL query per object, one rule, one
// DestinationRule output) over N watched Services (default 10,000) in 100 namespaces, with answers for
// every query (half above the threshold). Prints, for hysteresis 0 and 2:
//   - metric_requests for every key (what `slime run` asks Prometheus each tick), keys/s;
//   - one reconcile of every key, objects/s;
//   - the full `slime render` fixed point;
//   - RSS after the reconciles and the peak since the inputs were built.
// Times are CPU time of this process (the machine may be shared). Usage: bench_policy [N]
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../support/process_memory.h"
#include "slime/core/config.h"
#include "slime/metric/metric_cache.h"
#include "slime/modules/registry.h"
#include "slime/render/render.h"
#include "slime/store/memory_store.h"

using namespace slime;
using bench::peak_rss_since_reset_mib;
using bench::reset_peak_rss;
using bench::rss_now_mib;

namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string definition(int hysteresis) {
  return R"(watch:
  apiVersion: v1
  kind: Service
  selector: {matchLabels: {guard: enabled}}
queries:
  error_ratio: 'sum(rate(istio_requests_total{destination_service_name="{{.metadata.name}}",destination_service_namespace="{{.metadata.namespace}}",response_code=~"5.."}[1m]))'
rules:
- name: failing
  when: "{{.error_ratio}} > 0.05"
  outputs:
  - apiVersion: networking.istio.io/v1beta1
    kind: DestinationRule
    metadata: {name: "{{.metadata.name}}-outlier-guard"}
    spec:
      host: "{{.metadata.name}}.{{.metadata.namespace}}.svc.cluster.local"
      trafficPolicy:
        outlierDetection: {consecutive5xxErrors: "=ceil {{.error_ratio}} * 100", interval: 5s, baseEjectionTime: 60s}
hysteresis: )" + std::to_string(hysteresis) + "\n";
}

std::vector<core::Object> services(int n) {
  std::vector<core::Object> out;
  for (int i = 0; i < n; ++i) {
    core::Object s("v1", "Service", "ns-" + std::to_string(i % 100), "svc-" + std::to_string(i));
    s.set_label("guard", "enabled");
    s.set_label("app", "svc-" + std::to_string(i));
    s.json()["spec"] = {{"selector", {{"app", "svc-" + std::to_string(i)}}},
                        {"ports", core::Json::array({{{"name", "http"}, {"port", 9080}}})}};
    out.push_back(std::move(s));
  }
  return out;
}

void run(int n, int hysteresis) {
  core::ModuleConfig c;
  c.name = "outlier-guard";
  c.kind = "policy";
  c.enable = true;
  c.general = {{"definitionText", definition(hysteresis)}, {"definitionFile", "bench.yaml"}};
  core::SlimeConfig cfg;
  cfg.modules.push_back(c);
  cfg.from_file = true;
  auto inst = modules::instantiate(cfg);
  if (!inst || inst->modules.size() != 1) {
    std::fprintf(stderr, "cannot configure the policy\n");
    std::exit(1);
  }
  core::Module& m = *inst->modules[0];

  reset_peak_rss();
  store::MemoryStore store;
  auto objects = services(n);
  for (const auto& o : objects) store.put(o);
  metric::MetricCache metrics;
  core::NoMetrics none;
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));

  double t0 = cpu_seconds();
  core::RenderContext plan{store, none, now};
  auto keys = m.keys(plan);
  size_t queries = 0;
  for (size_t i = 0; i < keys.size(); ++i)
    for (auto& r : m.metric_requests(plan, keys[i])) {
      ++queries;
      metrics.set(r, core::Json::array({{{"metric", core::Json::object()}, {"value", i % 2 ? 0.12 : 0.01}}}));
    }
  double requests_s = cpu_seconds() - t0;

  core::RenderContext ctx{store, metrics, now};
  t0 = cpu_seconds();
  size_t written = 0, problems = 0;
  for (const auto& k : keys) {
    auto out = m.reconcile(ctx, k);
    written += out.objects.size();
    problems += out.problems.size();
  }
  double reconcile_s = cpu_seconds() - t0;
  long rss = rss_now_mib();

  t0 = cpu_seconds();
  render::RenderOptions opts;
  opts.now = now;
  auto result = render::render(std::move(objects), inst->modules, metrics, opts);
  double render_s = cpu_seconds() - t0;

  std::printf("hysteresis %d: %d Services, %zu keys, %zu queries\n", hysteresis, n, keys.size(), queries);
  std::printf("  metric_requests of every key: %.3f s (%.0f keys/s)\n", requests_s, keys.size() / requests_s);
  std::printf("  reconcile of every key: %zu objects (%zu problems) in %.3f s: %.0f keys/s, %.0f objects/s\n", written,
              problems, reconcile_s, keys.size() / reconcile_s, written / reconcile_s);
  std::printf("  slime render fixed point: %zu objects in %d rounds, %.3f s\n", result.generated.size(), result.rounds,
              render_s);
  std::printf("  RSS after the reconciles: %ld MiB; peak since the inputs were built: %ld MiB\n", rss,
              peak_rss_since_reset_mib());
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  if (n <= 0) n = 10000;
  run(n, 0);
  run(n, 2);
  return 0;
}

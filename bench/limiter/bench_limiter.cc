// Limiter figures:
//  1. render: N SmartLimiters (default 10,000) with 3 descriptors each (a header match, an average
//     quota over the pod count, a global one) over N Services with 2 pods each, in 100 namespaces.
//     One reconcile of every key (EnvoyFilters + the RLS ConfigMap), a breakdown by stage, then the
//     full `slime render` fixed point. Prints limiters/s, objects/s and RSS. Figures are CPU time of
//     this process: the machine may be shared.
//  2. adaptive round: M limiters (default 1,000) whose condition and quota read a Prometheus metric,
//     against a real Prometheus scraping an in-process exporter: metric_requests -> Prometheus ->
//     reconcile for every limiter. Prints its duration. Skipped when prometheus is not installed.
// Usage: bench_limiter [N] [M]
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "../support/process_memory.h"
#include "prometheus_fixture.h"
#include "slime/metric/adaptive_round.h"
#include "slime/metric/metric_cache.h"
#include "slime/modules/limiter/envoy_filter.h"
#include "slime/modules/limiter/status.h"
#include "slime/modules/registry.h"
#include "slime/render/render.h"
#include "slime/store/memory_store.h"
#include "test_exporter.h"

using namespace slime;
using bench::peak_rss_since_reset_mib;
using bench::reset_peak_rss;
using bench::rss_now_mib;
using Clock = std::chrono::steady_clock;
using core::Json;

namespace {

// CPU time of this process: the machine may be shared, and the goal is stated per core.
struct CpuClock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<CpuClock>;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
  }
};
double seconds_since(CpuClock::time_point t) { return std::chrono::duration<double>(CpuClock::now() - t).count(); }
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

long peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}


std::string ns_of(int i) { return "ns-" + std::to_string(i % 100); }
std::string name_of(int i) { return "svc-" + std::to_string(i); }

std::vector<core::Object> world(int n, bool adaptive) {
  std::vector<core::Object> out;
  out.reserve(static_cast<size_t>(n) * 4);
  for (int i = 0; i < n; ++i) {
    std::string ns = ns_of(i), name = name_of(i);
    core::Object svc("v1", "Service", ns, name);
    svc.json()["spec"] = {{"selector", {{"app", name}}}, {"ports", Json::array({{{"port", 9080}}})}};
    out.push_back(std::move(svc));
    // Kubernetes keeps an Endpoints object per Service: the limiter reads ready pods from it.
    core::Object eps("v1", "Endpoints", ns, name);
    Json addresses = Json::array();
    for (int p = 0; p < 2; ++p)
      addresses.push_back({{"ip", "10.0." + std::to_string(i % 250) + "." + std::to_string(p)},
                           {"targetRef", {{"kind", "Pod"}, {"name", name + "-" + std::to_string(p)}, {"namespace", ns}}}});
    eps.json()["subsets"] = Json::array({{{"addresses", addresses}}});
    out.push_back(std::move(eps));
    for (int p = 0; p < 2; ++p) {
      core::Object pod("v1", "Pod", ns, name + "-" + std::to_string(p));
      pod.set_label("app", name);
      pod.json()["status"] = {{"phase", "Running"}};
      out.push_back(std::move(pod));
    }
    core::Object l("microservice.slime.io/v1alpha2", "SmartLimiter", ns, name);
    Json descriptors = Json::array();
    if (adaptive) {
      descriptors.push_back({{"action", {{"fill_interval", {{"seconds", 1}}}, {"quota", "{{._base.load}}/10"}}},
                             {"condition", "{{._base.load}} > 100"}});
    } else {
      descriptors.push_back({{"action", {{"fill_interval", {{"seconds", 1}}}, {"quota", "100"}, {"strategy", "single"}}},
                             {"condition", "true"},
                             {"match", Json::array({{{"name", ":method"}, {"exact_match", "GET"}}})}});
      descriptors.push_back({{"action", {{"fill_interval", {{"seconds", 60}}}, {"quota", "1000"}, {"strategy", "average"}}},
                             {"condition", "{{._base.pod}} > 1"},
                             {"target", {{"port", 9080}}}});
      descriptors.push_back({{"action", {{"fill_interval", {{"seconds", 1}}}, {"quota", "50"}, {"strategy", "global"}}},
                             {"condition", "true"},
                             {"match", Json::array({{{"name", "x-user"}, {"prefix_match", "test"}}})}});
    }
    l.json()["spec"] = {{"sets", {{"_base", {{"descriptor", descriptors}}}}}};
    out.push_back(std::move(l));
  }
  return out;
}

core::ModuleConfig limiter_config(bool adaptive, const std::string& prometheus) {
  core::ModuleConfig c;
  c.name = c.kind = "limiter";
  c.enable = true;
  c.general = {{"rlsConfigMap", {{"name", "rate-limit-config"}, {"namespace", "istio-system"}}},
               {"rls", {{"service", "rate-limit.istio-system.svc.cluster.local"}, {"port", 18081}}}};
  if (adaptive) {
    c.general["disableGlobalRateLimit"] = true;
    c.metric.has_prometheus = true;
    c.metric.prometheus_address = prometheus;
    c.metric.prometheus_handlers["load"] = {"sum(slime_bench_load{pod=~\"$pod_name\"})", core::PrometheusHandler::Type::kValue};
  } else {
    c.general["disableAdaptive"] = true;
  }
  return c;
}

// Time and RSS of one reconcile of every key (the figure the goal is about).
void reconcile_every_key(const core::Module& module, const core::RenderContext& ctx, int n, const char* round,
                         bool may_dump) {
  auto t0 = CpuClock::now();
  size_t generated = 0, problems = 0, keys = 0;
  double configmap = 0;
  // BENCH_LIMITER_DUMP=<file> writes every output (outside the timing) so that an optimisation can be
  // checked to change no byte of it.
  FILE* dump = may_dump && std::getenv("BENCH_LIMITER_DUMP") ? std::fopen(std::getenv("BENCH_LIMITER_DUMP"), "w") : nullptr;
  double dumping = 0;
  for (const auto& key : module.keys(ctx)) {
    auto tk = CpuClock::now();
    auto out = module.reconcile(ctx, key);
    if (key == "ratelimit-config") configmap = seconds_since(tk);
    if (dump) {
      auto td = CpuClock::now();
      std::fprintf(dump, "== %s\n", key.c_str());
      for (const auto& o : out.objects) std::fprintf(dump, "%s\n", o.json().dump().c_str());
      for (const auto& st : out.statuses) std::fprintf(dump, "status %s\n", st.status.dump().c_str());
      for (const auto& e : out.problems) std::fprintf(dump, "problem %s %s %s\n", e.object.c_str(), e.field.c_str(), e.message.c_str());
      dumping += seconds_since(td);
    }
    generated += out.objects.size();
    problems += out.problems.size();
    ++keys;
  }
  double once = seconds_since(t0) - dumping;
  if (dump) std::fclose(dump);
  std::printf("render, %s reconcile of every key: %d limiters x 3 descriptors, %zu keys -> %zu objects (%zu problems) in %.3f s\n",
              round, n, keys, generated, problems, once);
  std::printf("  %.0f limiters/s, %.0f objects/s (of which the RLS ConfigMap, from all limiters: %.3f s)\n", n / once,
              generated / once, configmap);
  std::printf("  RSS after the reconciles: %ld MiB; peak RSS since the inputs were built: %ld MiB\n", rss_now_mib(),
              peak_rss_since_reset_mib());
}

// Where the time goes: evaluation (parse, pods, conditions) vs building the EnvoyFilter specs and statuses.
// Holds all evaluations at once, so it runs after the figure above.
void parts(const core::RenderContext& ctx, const store::MemoryStore& store, int n) {
  std::vector<core::Error> w;
  limiter::LimiterConfig lc = *limiter::parse_limiter_config(limiter_config(false, ""), w);
  auto limiters = store.list({"microservice.slime.io", "SmartLimiter"});
  auto tp = CpuClock::now();
  size_t parsed = 0;
  for (auto* l : limiters) parsed += limiter::parse_smart_limiter(*l).spec.sets.size();
  double parse = seconds_since(tp);
  auto te = CpuClock::now();
  std::vector<limiter::Evaluation> evs;
  for (auto* l : limiters) evs.push_back(limiter::evaluate_limiter(ctx, *l, lc));
  double eval = seconds_since(te);
  auto ts = CpuClock::now();
  size_t patches = 0;
  std::vector<core::Error> p;
  for (auto& ev : evs)
    for (auto& set : ev.sets) patches += limiter::envoy_filter_spec(ev, set, lc, p)["configPatches"].size();
  double spec = seconds_since(ts);
  auto tst = CpuClock::now();
  size_t statuses = 0;
  for (auto& ev : evs) statuses += limiter::limiter_status(ev).size();
  double status = seconds_since(tst);
  std::printf("parts: parse %.3f s (%zu sets), ", parse, parsed);
  std::printf("evaluate (parse included) %.3f s, EnvoyFilter specs %.3f s (%zu patches), statuses %.3f s\n", eval, spec,
              patches, status);
  std::printf("  peak RSS with all %d evaluations held at once: %ld MiB\n", n, peak_rss_since_reset_mib());
}

void bench_render(int n) {
  auto module = modules::create("limiter");
  if (!module || !module->configure(limiter_config(false, ""))) {
    std::fprintf(stderr, "cannot configure the limiter\n");
    return;
  }
  core::NoMetrics none;
  {
    // The inputs are held once, in the store (as the controller's cache holds them). They are copies: a
    // copy lays each object out compactly, as parsing it from the API server's JSON would, where the
    // objects built above are scattered among the temporaries of building them.
    store::MemoryStore store;
    {
      auto objects = world(n, false);
      for (const auto& o : objects) store.put(o);
    }
    malloc_trim(0);  // give the builder's freed temporaries back, so that RSS counts the inputs and the module
    reset_peak_rss();
    core::RenderContext ctx{store, none, std::chrono::system_clock::now()};
    std::printf("inputs: %zu objects in the store, RSS %ld MiB\n", store.size(), rss_now_mib());
    // The first round runs on a heap that has never held outputs (page faults, growing the heap: as in a
    // one-shot `slime render`); the second on the heap the first left (as in the long-running controller).
    reconcile_every_key(*module, ctx, n, "first (cold heap)", true);
    reconcile_every_key(*module, ctx, n, "second (warm heap)", false);
    parts(ctx, store, n);
  }
  if (std::getenv("BENCH_LIMITER_SKIP_FIXED_POINT")) return;  // for profiling the module alone

  std::vector<std::unique_ptr<core::Module>> modules;
  modules.push_back(std::move(module));
  render::RenderOptions options;
  auto t1 = CpuClock::now();
  auto result = render::render(world(n, false), modules, none, options);
  double full = seconds_since(t1);
  std::printf("slime render (fixed point, %d rounds, statuses applied): %zu objects in %.3f s CPU -> %.0f limiters/s\n",
              result.rounds, result.generated.size(), full, n / full);
  std::printf("peak RSS: %ld MiB\n", peak_rss_mib());
}

void bench_adaptive(int m) {
  testing::TestExporter exporter;
  std::string body = "# TYPE slime_bench_load gauge\n";
  for (int i = 0; i < m; ++i)
    for (int p = 0; p < 2; ++p)
      body += "slime_bench_load{pod=\"" + name_of(i) + "-" + std::to_string(p) + "\"} " + std::to_string(40 + i % 100) + "\n";
  exporter.set_body(body);
  testing::PrometheusProcess prometheus("127.0.0.1:" + std::to_string(exporter.port()));
  if (!prometheus.available()) {
    std::printf("adaptive round: skipped (%s)\n", prometheus.error().c_str());
    return;
  }
  metric::PrometheusClient client({prometheus.address()});
  // Wait for the first scrape to land.
  for (int i = 0; i < 100; ++i) {
    auto r = client.query("count(slime_bench_load)");
    if (r && !r->empty() && (*r)[0]["value"] == 2.0 * m) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto module = modules::create("limiter");
  if (!module || !module->configure(limiter_config(true, prometheus.address()))) return;
  store::MemoryStore store;
  for (auto& o : world(m, true)) store.put(o);
  metric::MetricCache cache;
  core::RenderContext ctx{store, cache, std::chrono::system_clock::now()};

  // The runtime's round: every key's queries answered once, then only the changed keys re-rendered.
  auto t0 = Clock::now();
  auto round = metric::run_adaptive_round(*module, ctx, client, cache);
  size_t queries = round.queries, errors = round.errors.size(), filters = 0;
  for (const auto& key : round.changed_keys) filters += module->reconcile(ctx, key).objects.size();
  double d = seconds_since(t0);
  std::printf("adaptive round: %d limiters, %zu Prometheus queries (%zu failed), %zu EnvoyFilters in %.3f s wall (%.2f ms/limiter)\n",
              m, queries, errors, filters, d, 1000 * d / m);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 10000;
  int m = argc > 2 ? std::atoi(argv[2]) : 1000;
  bench_render(n);
  if (m > 0) bench_adaptive(m);
  return 0;
}

// Lazyload at scale: a synthetic mesh of N Services (default 10,000, spread over 100 namespaces) and one
// ServiceFence per Service with D learned dependencies each (default 10) in status.metricStatus. Prints the
// time to render every Sidecar (one reconcile pass over every fence key, and the full `slime render` fixed
// point), and the peak RSS. A program that prints figures, not a timed test.
//
//   bench_lazyload [services=10000] [deps=10]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "slime/core/config.h"
#include "slime/modules/registry.h"
#include "slime/render/render.h"
#include "slime/store/memory_store.h"

using namespace slime;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

long peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

std::vector<core::Object> synthetic_mesh(int services, int deps) {
  std::vector<core::Object> out;
  out.reserve(services * 2);
  const int namespaces = 100;
  auto svc_name = [](int i) { return "svc-" + std::to_string(i); };
  auto ns_of = [&](int i) { return "ns-" + std::to_string(i % namespaces); };
  for (int i = 0; i < services; ++i) {
    core::Object svc("v1", "Service", ns_of(i), svc_name(i));
    svc.set_label("app", svc_name(i));
    svc.json()["spec"] = {{"ports", core::Json::array({core::Json{{"name", "http"}, {"port", 9080}, {"protocol", "TCP"}}})},
                          {"selector", {{"app", svc_name(i)}}}};
    out.push_back(std::move(svc));

    core::Object fence("microservice.slime.io/v1alpha1", "ServiceFence", ns_of(i), svc_name(i));
    fence.json()["metadata"]["uid"] = "uid-" + std::to_string(i);
    fence.json()["spec"] = {{"enable", true}, {"workloadSelector", {{"fromService", true}}}};
    core::Json metric = core::Json::object();
    for (int d = 1; d <= deps; ++d) {
      int j = (i * 7919 + d * 104729) % services;  // pseudo-random, deterministic callees
      metric["{destination_service=\"" + svc_name(j) + "." + ns_of(j) + ".svc.cluster.local\"}"] = "1";
    }
    fence.json()["status"] = {{"metricStatus", std::move(metric)}};
    out.push_back(std::move(fence));
  }
  return out;
}

// Forwards to the real module and adds up the time spent inside it, to tell the module's share of a full
// render from the driver's (copies of the world per round, comparisons, status overlays).
class TimedModule final : public core::Module {
 public:
  explicit TimedModule(std::unique_ptr<core::Module> inner) : inner_(std::move(inner)) {}
  std::string_view kind() const override { return inner_->kind(); }
  std::vector<core::GroupKind> reads() const override { return inner_->reads(); }
  std::vector<core::GroupKind> writes() const override { return inner_->writes(); }
  core::Result<void> configure(const core::ModuleConfig& c) override { return inner_->configure(c); }
  std::vector<std::string> keys(const core::RenderContext& ctx) const override {
    auto t = Clock::now();
    auto k = inner_->keys(ctx);
    spent_ms += ms_since(t);
    return k;
  }
  std::vector<std::string> keys_for(const core::RenderContext& ctx, const core::Object& o) const override {
    return inner_->keys_for(ctx, o);
  }
  core::ModuleOutput reconcile(const core::RenderContext& ctx, std::string_view key) const override {
    auto t = Clock::now();
    auto out = inner_->reconcile(ctx, key);
    spent_ms += ms_since(t);
    return out;
  }
  mutable double spent_ms = 0;

 private:
  std::unique_ptr<core::Module> inner_;
};

}  // namespace

int main(int argc, char** argv) {
  int services = argc > 1 ? std::atoi(argv[1]) : 10000;
  int deps = argc > 2 ? std::atoi(argv[2]) : 10;

  auto t0 = Clock::now();
  auto objects = synthetic_mesh(services, deps);
  double gen_ms = ms_since(t0);

  core::ModuleConfig cfg;
  cfg.name = cfg.kind = "lazyload";
  cfg.enable = true;
  cfg.global.misc = core::default_misc();
  cfg.general = {{"globalSidecar", {{"enable", false}}}};
  core::SlimeConfig sc;
  sc.modules.push_back(cfg);
  sc.from_file = true;
  auto instances = modules::instantiate(sc);
  if (!instances || instances->modules.empty()) {
    std::fprintf(stderr, "lazyload module not available\n");
    return 1;
  }
  const auto& module = *instances->modules.front();

  store::MemoryStore world;
  for (const auto& o : objects) world.put(o);
  core::NoMetrics metrics;
  core::RenderContext ctx{world, metrics, std::chrono::system_clock::from_time_t(1700000000)};

  // 1. One reconcile pass: every fence's status and Sidecar.
  t0 = Clock::now();
  auto keys = module.keys(ctx);
  size_t sidecars = 0, hosts = 0;
  for (const auto& key : keys) {
    auto out = module.reconcile(ctx, key);
    for (const auto& o : out.objects) {
      if (o.kind() != "Sidecar") continue;
      ++sidecars;
      hosts += o.spec()["egress"][0]["hosts"].size();
    }
  }
  double pass_ms = ms_since(t0);
  long rss_after_pass = peak_rss_mb();

  // 2. The whole `slime render` fixed point (copies the world per round, applies statuses).
  auto* timed = new TimedModule(std::move(instances->modules.front()));
  instances->modules.front().reset(timed);
  t0 = Clock::now();
  auto result = render::render(objects, instances->modules, metrics);
  double render_ms = ms_since(t0);

  std::printf("lazyload bench: %d services, %d fences x %d learned deps\n", services, services, deps);
  std::printf("  generate inputs                 %9.1f ms\n", gen_ms);
  std::printf("  reconcile every fence (1 pass)  %9.1f ms  (%zu Sidecars, %.1f hosts each, %.1f us/fence)\n", pass_ms,
              sidecars, sidecars ? double(hosts) / sidecars : 0.0, pass_ms * 1000.0 / (sidecars ? sidecars : 1));
  std::printf("  peak RSS after the pass         %9ld MB\n", rss_after_pass);
  std::printf("  slime render fixed point        %9.1f ms  (%d rounds, %zu generated objects)\n", render_ms, result.rounds,
              result.generated.size());
  std::printf("    of which inside the module     %9.1f ms  (the rest is the render driver)\n", timed->spent_ms);
  std::printf("  peak RSS                        %9ld MB\n", peak_rss_mb());
  return 0;
}

// Malformed objects among good ones (issue #13, point 8): SmartLimiters, ServiceFences and PluginManagers
// whose bad fields the CRD schemas admit (a quota that is no number, a host that is no host, a port out of
// range), as many bad as good, applied to a real apiserver before `slime run` starts. Every good one's
// output must be written, every bad one reported by a Warning Event naming the object and the field, and
// Slime must keep running. The count is SLIME_FAULT_OBJECTS per side (default 300, so the tier stays
// quick; docs/reliability.md quotes a 1,000/1,000 run). The time to converge is printed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "fault_support.h"
#include "slime_process.h"

namespace slime::testing::faults {
namespace {

EnvtestServer& server() { return *EnvtestServer::start_shared().value(); }

constexpr const char* kNs = "fault-malformed";

int objects_per_side() {
  const char* env = std::getenv("SLIME_FAULT_OBJECTS");
  int n = env ? std::atoi(env) : 0;
  return n > 0 ? n : 300;
}

Object service_fence(const std::string& name, const std::string& host) {
  return from_yaml("apiVersion: microservice.slime.io/v1alpha1\nkind: ServiceFence\n"
                   "metadata: {name: " + name + ", namespace: " + kNs + "}\n"
                   "spec: {enable: true, workloadSelector: {labels: {app: " + name + "}}, host: {\"" + host +
                   "\": {stable: {}}}}\n");
}

Object plugin_manager(const std::string& name, int port) {
  return from_yaml("apiVersion: microservice.slime.io/v1alpha1\nkind: PluginManager\n"
                   "metadata: {name: " + name + ", namespace: " + kNs + "}\n"
                   "spec:\n  workloadLabels: {app: " + name + "}\n"
                   "  plugin:\n  - {name: envoy.filters.http.fault, enable: true, port: " + std::to_string(port) +
                   ", inline: {settings: {abort: {http_status: 503}}}}\n");
}

std::string good_host(const std::string& name) { return "h-" + name + "." + kNs + ".svc.cluster.local"; }

// One bad object: its name and the field path its Event must name.
struct Bad {
  std::string name, field;
};

TEST(FaultMalformed, EveryGoodObjectRendersEveryBadOneIsReportedSlimeKeepsRunning) {
  kube::Client c(kube::load_kubeconfig(server().kubeconfig()).value());
  prepare(c, kNs);
  const int n = objects_per_side();
  std::vector<Object> objects;
  Outputs want;
  std::vector<std::string> good_fences, good_managers, bad_managers;
  std::vector<Bad> bad;
  for (int i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "%04d", i);
    std::string g = std::string("good-") + id, b = std::string("bad-") + id;
    switch (i % 3) {
      case 0:  // limiter: the bad one renders nothing
        objects.push_back(smart_limiter(kNs, g));
        objects.push_back(smart_limiter(kNs, b, "ten"));
        want.filters.insert(limiter_filter(kNs, g));
        bad.push_back({b, "spec.sets._base.descriptor[0].action.quota"});
        break;
      case 1:  // lazyload: the bad host is skipped, the fence's Sidecar still written
        objects.push_back(service_fence(g, good_host(g)));
        objects.push_back(service_fence(b, "*/no-host"));
        want.sidecars.insert(g);
        want.sidecars.insert(b);
        good_fences.push_back(g);
        bad.push_back({b, "spec.host.*/no-host"});
        break;
      default:  // plugin: the bad plugin is skipped, its EnvoyFilter carries no patch
        objects.push_back(plugin_manager(g, 8080));
        objects.push_back(plugin_manager(b, 70000));
        want.filters.insert(g);
        want.filters.insert(b);
        good_managers.push_back(g);
        bad_managers.push_back(b);
        bad.push_back({b, "spec.plugin[0].port"});
        break;
    }
  }
  apply_parallel(server().kubeconfig(), objects);

  // Converged: every output written and every bad object reported.
  auto reported = [&] {
    std::map<std::string, std::string> by_object;  // object name -> InvalidSpec message
    kube::ListOptions opts;
    opts.ns = kNs;
    if (auto events = c.list(kEvent, opts))
      for (auto& e : events->items)
        if (e.json().value("reason", "") == "InvalidSpec")
          by_object[e.json()["involvedObject"].value("name", "")] = e.json().value("message", "");
    return by_object;
  };
  SlimeProcess slime;
  auto started = Clock::now();
  slime.start(slime_args(server().kubeconfig(), write_config(server().dir(), kNs), kNs), server().dir() + "/" + kNs + ".log");
  bool converged = wait_until([&] { return outputs(c, kNs) == want && reported().size() >= bad.size(); },
                              std::chrono::seconds(120));
  double secs = seconds_since(started);
  Outputs got = outputs(c, kNs);
  ASSERT_TRUE(converged) << "missing " << missing(want, got) << " outputs; " << reported().size() << " of " << bad.size()
                         << " reported\n"
                         << slime.log().substr(0, 4000);
  figure("malformed objects", std::to_string(n) + " bad among " + std::to_string(n) + " good: slime start to converged",
         secs, "s");
  EXPECT_EQ(missing(want, got), 0u);

  // Each bad object: one Event naming it and its field; no good object reported.
  auto events = reported();
  for (const auto& b : bad) {
    auto it = events.find(b.name);
    ASSERT_NE(it, events.end()) << b.name << " not reported";
    EXPECT_NE(it->second.find(b.field), std::string::npos) << b.name << ": " << it->second;
  }
  for (const auto& [name, message] : events) EXPECT_TRUE(name.starts_with("bad-")) << name << ": " << message;

  // The good parts are rendered, the bad parts skipped.
  for (const auto& g : good_fences) {
    auto sc = c.get(kSidecar, kNs, g);
    ASSERT_TRUE(sc.has_value()) << g;
    EXPECT_NE(sc->spec().dump().find("*/" + good_host(g)), std::string::npos) << sc->spec().dump();
  }
  for (const auto& g : good_managers) {
    auto ef = c.get(kEnvoyFilter, kNs, g);
    ASSERT_TRUE(ef.has_value()) << g;
    EXPECT_NE(ef->spec().dump().find("envoy.filters.http.fault"), std::string::npos) << ef->spec().dump();
  }
  for (const auto& b : bad_managers) {
    auto ef = c.get(kEnvoyFilter, kNs, b);
    ASSERT_TRUE(ef.has_value()) << b;
    EXPECT_EQ(ef->spec().dump().find("envoy.filters.http.fault"), std::string::npos) << ef->spec().dump();
  }

  EXPECT_EQ(http_get(slime.admin_port(), "/readyz").status, 200) << slime.log().substr(0, 4000);
  EXPECT_EQ(slime.kill_now(SIGTERM), 0);
}

}  // namespace
}  // namespace slime::testing::faults

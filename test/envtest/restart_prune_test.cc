// Pruning that survives restarts (issue #13, point 1): `slime run` marks what it applies with its
// owner (module label, reconcile-key annotation); a process that starts, or a replica that gains
// leadership, lists the marked objects and re-renders their keys. So a SmartLimiter whose condition
// turned false, and an EnvoyPlugin deleted, while no Slime ran leave no EnvoyFilter behind, and a
// user's own EnvoyFilter (no marks) is left alone. Real apiserver, the real `slime` binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "envtest_server.h"
#include "eventually.h"
#include "slime/core/yaml.h"
#include "slime/kube/cluster_config.h"
#include "slime/store/owner_marks.h"
#include "slime_process.h"

namespace slime::testing {
namespace {

namespace fs = std::filesystem;
using core::Json;
using core::Object;

const core::Gvk kEnvoyFilter{"networking.istio.io", "v1alpha3", "EnvoyFilter"};
constexpr const char* kNs = "prune";

EnvtestServer& server() { return *EnvtestServer::start_shared().value(); }

using slime::testing::eventually;

Object from_yaml(const std::string& yaml) {
  auto doc = core::parse_yaml(yaml);
  EXPECT_TRUE(doc) << doc.error().str();
  auto obj = Object::from_json(*doc);
  EXPECT_TRUE(obj) << obj.error().str();
  return *obj;
}

Object smart_limiter(const std::string& name, const std::string& condition) {
  return from_yaml(R"(
apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: )" + name + ", namespace: " + kNs + R"(}
spec:
  workloadSelector: {app: )" + name + R"(}
  sets:
    _base:
      descriptor:
      - action: {fill_interval: {seconds: 1}, quota: "10", strategy: single}
        condition: ")" + condition + R"("
        target: {}
)");
}

void apply_workload(kube::Client& c, const std::string& app) {
  Object pod = from_yaml(R"(
apiVersion: v1
kind: Pod
metadata: {name: )" + app + ", namespace: " + kNs + ", labels: {app: " + app + R"(}}
spec: {containers: [{name: app, image: app:test, ports: [{containerPort: 80}]}]}
)");
  ASSERT_TRUE(c.apply(pod, true, "test").has_value());
  Object status("v1", "Pod", kNs, app);
  status.json()["status"] = {{"phase", "Running"}};
  ASSERT_TRUE(c.apply_status(status, true, "test").has_value());
  Object svc = from_yaml(R"(
apiVersion: v1
kind: Service
metadata: {name: )" + app + ", namespace: " + kNs + R"(}
spec: {selector: {app: )" + app + R"(}, ports: [{port: 80, targetPort: 80}]}
)");
  ASSERT_TRUE(c.apply(svc, true, "test").has_value());
}

bool exists(kube::Client& c, const std::string& name) { return c.get(kEnvoyFilter, kNs, name).has_value(); }
bool gone(kube::Client& c, const std::string& name) {
  auto g = c.get(kEnvoyFilter, kNs, name);
  return !g && g.error().not_found();
}

std::vector<std::string> slime_args(const fs::path& config) {
  return {"run", "--kubeconfig", server().kubeconfig(), "--config", config.string(), "--admin-addr", "127.0.0.1:0",
          "--als-addr", "off"};
}

TEST(RestartPrune, WhatAKeyStoppedRenderingWhileNoSlimeRanIsPrunedOnStartUserObjectsStay) {
  kube::Client c(kube::load_kubeconfig(server().kubeconfig()).value());
  ASSERT_TRUE(EnvtestServer::install_istio_and_slime_crds(c).has_value());
  ASSERT_TRUE(c.apply(Object("v1", "Namespace", "", kNs), true, "test").has_value());
  apply_workload(c, "hello");
  apply_workload(c, "steady");
  ASSERT_TRUE(c.apply(smart_limiter("hello", "true"), true, "test").has_value());
  ASSERT_TRUE(c.apply(smart_limiter("steady", "true"), true, "test").has_value());
  ASSERT_TRUE(c.apply(from_yaml(R"(
apiVersion: microservice.slime.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: fault, namespace: prune}
spec:
  host: [hello.prune.svc.cluster.local]
  plugins:
  - {name: envoy.filters.http.fault, enable: true, inline: {settings: {abort: {http_status: 503}}}}
)"), true, "test").has_value());
  // The user's own EnvoyFilter, of a kind both modules write: never Slime's to delete.
  ASSERT_TRUE(c.apply(from_yaml(R"(
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: users-own, namespace: prune}
spec: {configPatches: []}
)"), true, "user").has_value());

  fs::path dir = server().dir();
  fs::path config = dir / "prune-config.yaml";
  std::ofstream(config) << "module:\n- {name: limiter, kind: limiter, enable: true}\n"
                           "- {name: plugin, kind: plugin, enable: true}\n";

  {
    SlimeProcess first;
    first.start(slime_args(config), dir / "prune-first.log");
    ASSERT_TRUE(eventually([&] {
      return exists(c, "hello.prune.ratelimit") && exists(c, "steady.prune.ratelimit") && exists(c, "fault");
    })) << first.log();
    // The runtime's marks, not the module's: the module and the key that rendered it.
    auto ef = c.get(kEnvoyFilter, kNs, "hello.prune.ratelimit");
    ASSERT_TRUE(ef.has_value());
    auto mark = store::owner_mark(*ef);
    ASSERT_TRUE(mark.has_value()) << ef->json().dump();
    EXPECT_EQ(mark->module, "limiter");
    EXPECT_EQ(mark->key, "SmartLimiter/prune/hello");
    EXPECT_EQ(first.kill_now(SIGTERM), 0) << first.log();
  }

  // While no Slime runs: one limiter's condition turns false, the EnvoyPlugin is deleted (no garbage
  // collector runs here, and a real cluster's would not help the SmartLimiter case).
  ASSERT_TRUE(c.apply(smart_limiter("hello", "false"), true, "test").has_value());
  ASSERT_TRUE(c.remove({"microservice.slime.io", "v1alpha1", "EnvoyPlugin"}, kNs, "fault").has_value());

  SlimeProcess second;
  second.start(slime_args(config), dir / "prune-second.log");
  EXPECT_TRUE(eventually([&] { return gone(c, "hello.prune.ratelimit"); })) << second.log();
  EXPECT_TRUE(eventually([&] { return gone(c, "fault"); })) << second.log();
  // Still rendered: still there. The user's: untouched.
  ASSERT_TRUE(eventually([&] { return http_get(second.admin_port(), "/readyz").status == 200; })) << second.log();
  EXPECT_TRUE(exists(c, "steady.prune.ratelimit")) << second.log();
  auto users = c.get(kEnvoyFilter, kNs, "users-own");
  ASSERT_TRUE(users.has_value()) << second.log();
  EXPECT_FALSE(store::owner_mark(*users).has_value());
  EXPECT_EQ(second.kill_now(SIGTERM), 0) << second.log();
}

}  // namespace
}  // namespace slime::testing

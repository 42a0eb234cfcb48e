// Boot on a real apiserver. deploy/ (CRDs, RBAC, the operator) is accepted by `kubectl apply -k`;
// the SlimeBoot CRD keeps the original's samples intact and rejects what its schema forbids; the boot
// module, driven by the runtime as `slime run` drives it, creates a SlimeBoot's objects, prunes what an
// update no longer renders, keeps everything through an invalid update, and removes it all on delete.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "envtest_server.h"
#include "slime/core/yaml.h"
#include "slime/kube/cluster_config.h"
#include "slime/runtime/kube_cluster.h"
#include "slime/runtime/manager.h"

namespace slime::boot {
std::unique_ptr<core::Module> make_module();
}

namespace slime::runtime {
namespace {

using core::Gvk;
using core::Json;
using core::Object;

const Gvk kSlimeBoot{"config.netease.com", "v1alpha1", "SlimeBoot"};
const Gvk kDeployment{"apps", "v1", "Deployment"};
const Gvk kService{"", "v1", "Service"};
const Gvk kConfigMap{"", "v1", "ConfigMap"};
const Gvk kServiceAccount{"", "v1", "ServiceAccount"};
const Gvk kClusterRoleBinding{"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"};
const Gvk kClusterRole{"rbac.authorization.k8s.io", "v1", "ClusterRole"};

slime::testing::EnvtestServer& server() { return *slime::testing::EnvtestServer::start_shared().value(); }
kube::ClusterConfig config() { return kube::load_kubeconfig(server().kubeconfig()).value(); }

bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

struct Command {
  int status = -1;
  std::string output;
};

Command kubectl(const std::string& args) {
  std::string out = (std::filesystem::path(server().dir()) / "kubectl.out").string();
  std::string cmd = "KUBECONFIG=" + server().kubeconfig() + " HOME=" + server().dir() + " kubectl " + args + " >" + out + " 2>&1";
  int raw = std::system(cmd.c_str());
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, ss.str()};
}

bool have_kubectl() { return std::system("kubectl version --client >/dev/null 2>&1") == 0; }

Object yaml_object(const std::string& text) { return Object(core::parse_yaml(text).value()); }

// Installs deploy/ once, with kubectl as users do (skipped where kubectl is not installed).
class BootEnvtest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_kubectl()) GTEST_SKIP() << "kubectl not installed";
    auto r = kubectl("apply -k " + std::string(SLIME_SOURCE_DIR) + "/deploy");
    ASSERT_EQ(r.status, 0) << r.output;
    kube::Client c(config());
    ASSERT_TRUE(eventually([&] { return c.resource(kSlimeBoot).has_value(); }));
  }
};

TEST_F(BootEnvtest, DeployKustomizationIsAcceptedAndComplete) {
  kube::Client c(config());
  for (const Gvk& g : {kSlimeBoot, Gvk{"microservice.slime.io", "v1alpha1", "ServiceFence"},
                       Gvk{"microservice.slime.io", "v1alpha2", "SmartLimiter"},
                       Gvk{"microservice.slime.io", "v1alpha1", "PluginManager"},
                       Gvk{"microservice.slime.io", "v1alpha1", "EnvoyPlugin"}})
    EXPECT_TRUE(eventually([&] { return c.resource(g).has_value(); })) << g.kind;
  EXPECT_TRUE(c.get(kClusterRole, "", "slime").has_value());
  auto d = c.get(kDeployment, "mesh-operator", "slime-boot");
  ASSERT_TRUE(d.has_value());
  const Json& container = d->json()["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["command"][1], "run");
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"], "/readyz");
  // Applying again changes nothing (a user re-running the install).
  auto again = kubectl("apply -k " + std::string(SLIME_SOURCE_DIR) + "/deploy");
  EXPECT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(again.output.find("configured"), std::string::npos) << again.output;
}

TEST_F(BootEnvtest, SlimeBootSchemaKeepsTheSamplesAndRejectsBadValues) {
  kube::Client c(config());
  for (const char* name : {"bundle", "lazyload-cluster-prometheus", "custom-namespace-and-pod-settings"}) {
    std::string path = std::string(SLIME_SOURCE_DIR) + "/test/golden/boot/" + name + "/input.yaml";
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    Object sb = yaml_object(ss.str());
    sb.set_namespace("default");
    sb.set_name(std::string("schema-") + name);
    auto created = c.create(sb);
    ASSERT_TRUE(created.has_value()) << name << ": " << created.error().str();
    EXPECT_EQ(created->spec(), sb.spec()) << name << ": the API server pruned or changed fields";
    // Only the schema is under test here: an operator started later must not deploy these.
    EXPECT_TRUE(c.remove(kSlimeBoot, "default", sb.name()).has_value());
  }
  Object bad = yaml_object(R"(
apiVersion: config.netease.com/v1alpha1
kind: SlimeBoot
metadata: {name: schema-bad, namespace: default}
spec: {replicaCount: -1, service: {port: 70000}, image: {pullPolicy: Sometimes}, module: [{name: x, mode: Other}]}
)");
  auto rejected = c.create(bad);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().code, 422);
  for (const char* field : {"spec.replicaCount", "spec.service.port", "spec.image.pullPolicy", "spec.module[0].mode"})
    EXPECT_NE(rejected.error().message.find(field), std::string::npos) << rejected.error().message;
}

// The operator as `slime run` runs it: the boot module over the kube-backed cluster.
struct Operator {
  kube::Client client{config()};
  KubeCluster cluster{client};
  std::unique_ptr<core::Module> module = boot::make_module();
  Metrics metrics;
  std::unique_ptr<Manager> manager;

  Operator() {
    core::ModuleConfig c;
    c.name = c.kind = "boot";
    c.enable = true;
    EXPECT_TRUE(module->configure(c).has_value());
    manager = std::make_unique<Manager>(cluster, std::vector<core::Module*>{module.get()}, metrics);
    auto started = manager->start();
    EXPECT_TRUE(started.has_value()) << (started ? "" : started.error().str());
    manager->set_leading(true);
  }
  ~Operator() { manager->stop(); }
  bool exists(const Gvk& g, const std::string& ns, const std::string& name) { return client.get(g, ns, name).has_value(); }
  bool gone(const Gvk& g, const std::string& ns, const std::string& name) {
    auto r = client.get(g, ns, name);
    return !r && r.error().not_found();
  }
  Json condition() {
    auto sb = client.get(kSlimeBoot, "mesh-operator", "lazyload");
    if (!sb || !sb->status().contains("conditions")) return Json();
    return sb->status()["conditions"][0];
  }
};

const char* kSlimeBootYaml = R"(
apiVersion: config.netease.com/v1alpha1
kind: SlimeBoot
metadata: {name: lazyload, namespace: mesh-operator}
spec:
  image: {repository: registry.example.com/slime, tag: "1.0", pullPolicy: IfNotPresent}
  replicaCount: 2
  module:
  - name: lazyload
    kind: lazyload
    enable: true
    general: {wormholePort: ["9080"], metricSourceType: accesslog}
    global: {misc: {enableLeaderElection: "on"}}
  - {name: plugin, kind: plugin, enable: true}
  component:
    globalSidecar: {enable: true}
)";

TEST_F(BootEnvtest, OperatorAppliesPrunesKeepsThroughInvalidUpdatesAndCleansUp) {
  Operator op;
  auto& c = op.client;
  ASSERT_TRUE(c.apply(yaml_object(kSlimeBootYaml), true, "user").has_value());

  // Created: both modules' objects, lazyload's leader Service, and the status.
  const std::vector<std::pair<Gvk, std::string>> objects = {
      {kConfigMap, "lazyload"}, {kDeployment, "lazyload"}, {kService, "lazyload"}, {kServiceAccount, "lazyload"},
      {kService, "lazyload-leader"}, {kConfigMap, "plugin"}, {kDeployment, "plugin"}, {kService, "plugin"},
      {kServiceAccount, "plugin"}};
  for (const auto& [g, name] : objects)
    EXPECT_TRUE(eventually([&] { return op.exists(g, "mesh-operator", name); })) << g.kind << " " << name;
  EXPECT_TRUE(eventually([&] { return op.exists(kClusterRoleBinding, "", "lazyload"); }));
  auto d = c.get(kDeployment, "mesh-operator", "lazyload");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->json()["spec"]["replicas"], 2);
  EXPECT_EQ(d->json()["spec"]["template"]["spec"]["containers"][0]["image"], "registry.example.com/slime:1.0");
  EXPECT_EQ(d->annotation("slime.io/slimeboot"), "mesh-operator/lazyload");
  ASSERT_TRUE(eventually([&] { return op.condition().value("status", "") == "True"; })) << op.condition().dump();
  EXPECT_EQ(op.condition()["type"], "Deployed");
  auto cm = c.get(kConfigMap, "mesh-operator", "lazyload");
  ASSERT_TRUE(cm.has_value());
  EXPECT_EQ(Json::parse(cm->json()["data"]["cfg"].get<std::string>())["general"]["globalSidecar"]["enable"], true);

  // Someone deletes a rendered object: the operator puts it back.
  ASSERT_TRUE(c.remove(kService, "mesh-operator", "plugin").has_value());
  EXPECT_TRUE(eventually([&] { return op.exists(kService, "mesh-operator", "plugin"); }));

  // Update: no more plugin, no leader election -> their objects are pruned, the rest updated.
  Object updated = yaml_object(kSlimeBootYaml);
  updated.json()["spec"]["module"] = Json::parse(
      R"([{"name":"lazyload","kind":"lazyload","enable":true,"general":{"wormholePort":["9080"],"metricSourceType":"accesslog"}}])");
  updated.json()["spec"]["replicaCount"] = 1;
  ASSERT_TRUE(c.apply(updated, true, "user").has_value());
  for (const auto& [g, name] : std::vector<std::pair<Gvk, std::string>>{
           {kService, "lazyload-leader"}, {kDeployment, "plugin"}, {kConfigMap, "plugin"}, {kService, "plugin"},
           {kServiceAccount, "plugin"}})
    EXPECT_TRUE(eventually([&] { return op.gone(g, "mesh-operator", name); })) << g.kind << " " << name;
  EXPECT_TRUE(eventually([&] { return op.gone(kClusterRoleBinding, "", "plugin"); }));
  EXPECT_TRUE(eventually([&] {
    auto dd = c.get(kDeployment, "mesh-operator", "lazyload");
    return dd && dd->json()["spec"]["replicas"] == 1;
  }));

  // An update our validation rejects (the CRD lets it through): nothing is removed, the status says why.
  Object invalid = updated;
  invalid.json()["spec"]["module"][0]["name"] = "Lazy_Load";
  ASSERT_TRUE(c.apply(invalid, true, "user").has_value());
  ASSERT_TRUE(eventually([&] { return op.condition().value("reason", "") == "InvalidSpec"; })) << op.condition().dump();
  EXPECT_NE(op.condition()["message"].get<std::string>().find("spec.module[0].name"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_TRUE(op.exists(kDeployment, "mesh-operator", "lazyload"));
  EXPECT_TRUE(op.exists(kConfigMap, "mesh-operator", "lazyload"));

  // Fixed again, then deleted: everything it rendered goes, including the cluster-scoped binding.
  ASSERT_TRUE(c.apply(updated, true, "user").has_value());
  ASSERT_TRUE(eventually([&] { return op.condition().value("status", "") == "True"; })) << op.condition().dump();
  ASSERT_TRUE(c.remove(kSlimeBoot, "mesh-operator", "lazyload").has_value());
  for (const auto& [g, name] : std::vector<std::pair<Gvk, std::string>>{
           {kConfigMap, "lazyload"}, {kDeployment, "lazyload"}, {kService, "lazyload"}, {kServiceAccount, "lazyload"}})
    EXPECT_TRUE(eventually([&] { return op.gone(g, "mesh-operator", name); })) << g.kind << " " << name;
  EXPECT_TRUE(eventually([&] { return op.gone(kClusterRoleBinding, "", "lazyload"); }));
  // The operator's own install is untouched.
  EXPECT_TRUE(op.exists(kDeployment, "mesh-operator", "slime-boot"));
}

}  // namespace
}  // namespace slime::runtime

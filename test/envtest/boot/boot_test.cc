// Boot on a real apiserver. deploy/ (CRDs, RBAC, the operator) is accepted by `kubectl apply -k`;
// the SlimeBoot CRD keeps the original's samples intact and rejects what its schema forbids; the boot
// module, driven by the runtime as `slime run` drives it, creates a SlimeBoot's objects, prunes what an
// update no longer renders, keeps everything through an invalid update, and removes it all on delete.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

#include "envtest_server.h"
#include "eventually.h"
#include "slime_crds.h"
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

using slime::testing::eventually;

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

// Installs deploy/ once, with kubectl as users do (a machine without kubectl fails these tests).
class BootEnvtest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // A missing tool is a failed test, not a skipped one (scripts/setup.sh installs kubectl).
    ASSERT_TRUE(have_kubectl()) << "kubectl not installed (scripts/setup.sh installs it)";
    auto r = kubectl("apply -k " + std::string(SLIME_SOURCE_DIR) + "/deploy");
    ASSERT_EQ(r.status, 0) << r.output;
    kube::Client c(config());
    ASSERT_TRUE(eventually([&] { return c.resource(kSlimeBoot).has_value(); }));
    // Istio's CRDs (extracted by tools/envtest/build.sh), for the RBAC checks on Istio kinds.
    const char* bin = std::getenv("SLIME_ENVTEST_BIN");
    std::string istio = (bin && *bin ? std::string(bin) : std::string(SLIME_SOURCE_DIR) + "/tools/envtest/bin") +
                        "/istio-crds.yaml";
    auto installed = slime::testing::EnvtestServer::install_crds(c, istio);
    ASSERT_TRUE(installed.has_value()) << installed.error().str();
  }
};

TEST_F(BootEnvtest, DeployKustomizationIsAcceptedAndComplete) {
  kube::Client c(config());
  const auto crds = slime::testing::slime_crd_kinds(std::string(SLIME_SOURCE_DIR) + "/api/crds");
  EXPECT_TRUE(std::ranges::find(crds, kSlimeBoot) != crds.end());
  for (const Gvk& g : crds) EXPECT_TRUE(eventually([&] { return c.resource(g).has_value(); })) << g.kind;
  for (const char* role : {"slime-boot", "slime-lazyload", "slime-limiter", "slime-plugin"})
    EXPECT_TRUE(c.get(kClusterRole, "", role).has_value()) << role;
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

TEST_F(BootEnvtest, OperatorRoleAllowsWhatBootDoesAndNothingMore) {
  const std::string as = " --as=system:serviceaccount:mesh-operator:slime-boot";
  // What the operator does (apply = patch, plus create for new objects), and binding module roles.
  for (const char* allowed :
       {"patch deployments.apps -n mesh-operator", "create deployments.apps -n mesh-operator",
        "delete services -n mesh-operator", "watch configmaps --all-namespaces", "patch clusterrolebindings",
        "patch slimeboots.config.netease.com --subresource=status -n default", "watch slimeboots.config.netease.com --all-namespaces",
        "patch slimeboots.config.netease.com -n default", "update leases.coordination.k8s.io -n mesh-operator",
        "patch pods -n default", "create events -n default", "bind clusterroles/slime-lazyload",
        "bind clusterroles/slime-plugin"}) {
    auto r = kubectl(std::string("auth can-i ") + allowed + as);
    EXPECT_EQ(r.status, 0) << allowed << ": " << r.output;
  }
  // What only the modules do, and what nobody needs.
  for (const char* denied :
       {"watch secrets --all-namespaces", "get secrets -n default", "patch envoyfilters.networking.istio.io -n istio-system",
        "patch sidecars.networking.istio.io -n default", "create servicefences.microservice.slime.io -n default",
        "create secrets -n default", "delete pods -n default", "create slimeboots.config.netease.com -n default",
        "update slimeboots.config.netease.com -n default", "delete slimeboots.config.netease.com -n default",
        "create customresourcedefinitions.apiextensions.k8s.io", "patch virtualservices.networking.istio.io -n default",
        "delete namespaces", "get nodes", "bind clusterroles/cluster-admin", "escalate clusterroles",
        "create pods/exec -n default"}) {
    auto r = kubectl(std::string("auth can-i ") + denied + as);
    EXPECT_NE(r.status, 0) << denied << ": " << r.output;
  }
}

// A module Deployment's ServiceAccount, bound as boot binds it (ClusterRoleBinding to its kind's role),
// asked through the apiserver's access review (`kubectl auth can-i --as`): only the plugin's role reads
// Secrets.
TEST_F(BootEnvtest, ModuleServiceAccountsReadOnlyWhatTheirModuleNeeds) {
  kube::Client c(config());
  auto bind = [&](const std::string& sa, const std::string& role) {
    Object crb("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "sar-" + sa);
    crb.json()["roleRef"] = {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}};
    crb.json()["subjects"] = Json::array({Json{{"kind", "ServiceAccount"}, {"name", sa}, {"namespace", "mesh-operator"}}});
    ASSERT_TRUE(c.apply(crb).has_value());
  };
  bind("sar-limiter", "slime-limiter");
  bind("sar-lazyload", "slime-lazyload");
  bind("sar-plugin", "slime-plugin");
  // Impersonation turns `auth can-i` into an access review of the ServiceAccount (the admin kubeconfig
  // may impersonate); exit status 0 = allowed.
  auto allowed = [&](const std::string& sa, const std::string& verb, const std::string& group, const std::string& resource) {
    std::string what = group.empty() ? resource : resource + "." + group;
    return kubectl("auth can-i " + verb + " " + what + " -n default --as=system:serviceaccount:mesh-operator:" + sa)
               .status == 0;
  };
  // RBAC is read by the authorizer's cache: wait until the bindings count.
  ASSERT_TRUE(eventually([&] { return allowed("sar-limiter", "list", "networking.istio.io", "envoyfilters"); }));
  for (const char* sa : {"sar-limiter", "sar-lazyload"}) {
    EXPECT_FALSE(allowed(sa, "get", "", "secrets")) << sa;
    EXPECT_FALSE(allowed(sa, "list", "", "secrets")) << sa;
    EXPECT_FALSE(allowed(sa, "watch", "", "secrets")) << sa;
  }
  EXPECT_FALSE(allowed("sar-limiter", "patch", "networking.istio.io", "sidecars"));
  EXPECT_TRUE(allowed("sar-lazyload", "patch", "networking.istio.io", "sidecars"));
  EXPECT_FALSE(allowed("sar-plugin", "patch", "networking.istio.io", "sidecars"));
  EXPECT_FALSE(allowed("sar-plugin", "create", "", "configmaps"));
  EXPECT_TRUE(allowed("sar-plugin", "get", "", "secrets"));  // pull secrets: see docs/plugin.md
  EXPECT_FALSE(allowed("sar-plugin", "create", "", "secrets"));
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
  EXPECT_TRUE(eventually([&] { return op.gone(kSlimeBoot, "mesh-operator", "lazyload"); })) << "finalizer not released";
  // The operator's own install is untouched.
  EXPECT_TRUE(op.exists(kDeployment, "mesh-operator", "slime-boot"));
}

// A small SlimeBoot of its own for the finalizer tests: one plugin entry named `name`.
Object finalizer_slimeboot(const std::string& name) {
  return yaml_object("apiVersion: config.netease.com/v1alpha1\nkind: SlimeBoot\nmetadata: {name: " + name +
                     ", namespace: mesh-operator}\nspec:\n  module: [{name: " + name + ", kind: plugin, enable: true}]\n");
}

bool has_finalizer(kube::Client& c, const std::string& name) {
  auto sb = c.get(kSlimeBoot, "mesh-operator", name);
  if (!sb) return false;
  const Json& meta = sb->json()["metadata"];
  if (!meta.contains("finalizers")) return false;
  for (const auto& f : meta["finalizers"])
    if (f == "slime.io/slimeboot-cleanup") return true;
  return false;
}

bool being_deleted(kube::Client& c, const std::string& name) {
  auto sb = c.get(kSlimeBoot, "mesh-operator", name);
  return sb && sb->json()["metadata"].contains("deletionTimestamp");
}

// What a plugin entry renders, namespaced and cluster-scoped.
const std::vector<std::pair<Gvk, std::string>> kPluginObjects = {
    {kConfigMap, "mesh-operator"}, {kDeployment, "mesh-operator"}, {kService, "mesh-operator"},
    {kServiceAccount, "mesh-operator"}, {kClusterRoleBinding, ""}};

bool all_exist(Operator& op, const std::string& name) {
  for (const auto& [g, ns] : kPluginObjects)
    if (!op.exists(g, ns, name)) return false;
  return true;
}

bool all_gone(Operator& op, const std::string& name) {
  for (const auto& [g, ns] : kPluginObjects)
    if (!op.gone(g, ns, name)) return false;
  return true;
}

TEST_F(BootEnvtest, FinalizerHoldsTheDeleteUntilEverythingIsGone) {
  Operator op;
  auto& c = op.client;
  ASSERT_TRUE(c.apply(finalizer_slimeboot("fin-live"), true, "user").has_value());
  ASSERT_TRUE(eventually([&] { return all_exist(op, "fin-live"); }));
  EXPECT_TRUE(eventually([&] { return has_finalizer(c, "fin-live"); }));
  // A finalizer of someone else's is kept, and does not stop our clean-up.
  ASSERT_TRUE(c.merge_patch(kSlimeBoot, "mesh-operator", "fin-live",
                            Json::parse(R"({"metadata":{"finalizers":["slime.io/slimeboot-cleanup","example.com/keep"]}})"))
                  .has_value());

  ASSERT_TRUE(c.remove(kSlimeBoot, "mesh-operator", "fin-live").has_value());
  EXPECT_TRUE(eventually([&] { return all_gone(op, "fin-live"); }));
  ASSERT_TRUE(eventually([&] { return !has_finalizer(c, "fin-live"); }));
  auto held = c.get(kSlimeBoot, "mesh-operator", "fin-live");
  ASSERT_TRUE(held.has_value()) << "the other finalizer still holds it";
  EXPECT_EQ(held->json()["metadata"]["finalizers"], Json::array({"example.com/keep"}));

  ASSERT_TRUE(c.merge_patch(kSlimeBoot, "mesh-operator", "fin-live", Json::parse(R"({"metadata":{"finalizers":null}})"))
                  .has_value());
  EXPECT_TRUE(eventually([&] { return op.gone(kSlimeBoot, "mesh-operator", "fin-live"); }));
}

TEST_F(BootEnvtest, SlimeBootDeletedWhileTheOperatorIsDownIsCleanedUpOnStart) {
  kube::Client c(config());
  {
    Operator op;
    ASSERT_TRUE(c.apply(finalizer_slimeboot("fin-down"), true, "user").has_value());
    ASSERT_TRUE(eventually([&] { return all_exist(op, "fin-down") && has_finalizer(c, "fin-down"); }));
    ASSERT_TRUE(eventually([&] { return op.manager->idle(); }));
  }
  // No operator: the delete waits for the finalizer, the objects stay.
  ASSERT_TRUE(c.remove(kSlimeBoot, "mesh-operator", "fin-down").has_value());
  ASSERT_TRUE(eventually([&] { return being_deleted(c, "fin-down"); }));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(being_deleted(c, "fin-down"));
  EXPECT_TRUE(c.get(kDeployment, "mesh-operator", "fin-down").has_value());

  // A new process knows nothing of what the old one rendered: the annotation tells it.
  Operator op;
  EXPECT_TRUE(eventually([&] { return all_gone(op, "fin-down"); }));
  EXPECT_TRUE(eventually([&] { return op.gone(kSlimeBoot, "mesh-operator", "fin-down"); }));
}

TEST_F(BootEnvtest, ObjectsOfASlimeBootDeletedWithoutFinalizerArePrunedOnStart) {
  kube::Client c(config());
  {
    Operator op;
    ASSERT_TRUE(c.apply(finalizer_slimeboot("fin-none"), true, "user").has_value());
    ASSERT_TRUE(eventually([&] { return all_exist(op, "fin-none") && has_finalizer(c, "fin-none"); }));
    ASSERT_TRUE(eventually([&] { return op.manager->idle(); }));
  }
  // As if it had been deleted before Slime kept finalizers (or someone removed ours by hand).
  ASSERT_TRUE(c.merge_patch(kSlimeBoot, "mesh-operator", "fin-none", Json::parse(R"({"metadata":{"finalizers":null}})"))
                  .has_value());
  ASSERT_TRUE(c.remove(kSlimeBoot, "mesh-operator", "fin-none").has_value());
  ASSERT_TRUE(eventually([&] {
    auto g = c.get(kSlimeBoot, "mesh-operator", "fin-none");
    return !g && g.error().not_found();
  }));
  ASSERT_TRUE(c.get(kDeployment, "mesh-operator", "fin-none").has_value());
  // A foreign object that merely looks similar (no annotation) is left alone.
  Object foreign("v1", "ConfigMap", "mesh-operator", "fin-none-user");
  ASSERT_TRUE(c.apply(foreign, true, "user").has_value());

  Operator op;
  EXPECT_TRUE(eventually([&] { return all_gone(op, "fin-none"); }));
  EXPECT_TRUE(op.exists(kConfigMap, "mesh-operator", "fin-none-user"));
  EXPECT_TRUE(op.exists(kDeployment, "mesh-operator", "slime-boot"));
  EXPECT_TRUE(c.remove(kConfigMap, "mesh-operator", "fin-none-user").has_value());
}

// A `slime run` process, stopped (SIGTERM) when the test ends.
class Process {
 public:
  Process(const std::string& args, const std::string& log) {
    std::string cmd = "exec " + std::string(SLIME_BINARY_DIR) + "/bin/slime " + args + " >" + log + " 2>&1";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

 private:
  pid_t pid_ = -1;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A kubeconfig context that authenticates as a ServiceAccount (a TokenRequest token), so the process
// has exactly the permissions deploy/ grants it.
std::string service_account_context(const std::string& sa) {
  auto token = kubectl("create token " + sa + " -n mesh-operator");
  EXPECT_EQ(token.status, 0) << token.output;
  std::string t = token.output.substr(0, token.output.find_first_of("\r\n"));
  auto cluster = kubectl("config view -o jsonpath={.clusters[0].name}");
  EXPECT_EQ(kubectl("config set-credentials sa-" + sa + " --token=" + t).status, 0);
  EXPECT_EQ(kubectl("config set-context sa-" + sa + " --cluster=" + cluster.output + " --user=sa-" + sa).status, 0);
  return "sa-" + sa;
}

TEST_F(BootEnvtest, InstalledOperatorAndBundleRunAsTheirServiceAccounts) {
  kube::Client c(config());
  for (const char* ns : {"istio-system", "default"}) (void)c.apply(Object("v1", "Namespace", "", ns));
  std::string dir = server().dir();

  // The operator exactly as deploy/ configures it, with the slime-boot ServiceAccount's permissions.
  auto deploy_cm = core::parse_yaml(read_text(std::string(SLIME_SOURCE_DIR) + "/deploy/configmap.yaml"));
  ASSERT_TRUE(deploy_cm.has_value());
  std::ofstream(dir + "/operator-cfg") << (*deploy_cm)["data"]["cfg"].get<std::string>();
  std::string op_ctx = service_account_context("slime-boot");
  Process op("run --kubeconfig " + server().kubeconfig() + " --context " + op_ctx + " --config " + dir +
                 "/operator-cfg --admin-addr 127.0.0.1:0 --leader-election-id slime-boot-test",
             dir + "/operator.log");

  auto r = kubectl("apply -f " + std::string(SLIME_SOURCE_DIR) + "/examples/boot/bundle.yaml");
  ASSERT_EQ(r.status, 0) << r.output;
  ASSERT_TRUE(eventually([&] {
    auto sb = c.get(kSlimeBoot, "mesh-operator", "bundle");
    return sb && sb->status().contains("conditions") && sb->status()["conditions"][0]["status"] == "True";
  })) << read_text(dir + "/operator.log");
  std::optional<Object> cm;
  ASSERT_TRUE(eventually([&] {
    auto g = c.get(kConfigMap, "mesh-operator", "bundle");
    if (g) cm = *g;
    return g.has_value() && c.get(kDeployment, "mesh-operator", "bundle").has_value();
  }));

  // The bundle Deployment's process: its ConfigMap mounted as files, its ServiceAccount's permissions.
  std::filesystem::create_directories(dir + "/bundle-config");
  for (auto it = cm->json()["data"].begin(); it != cm->json()["data"].end(); ++it)
    std::ofstream(dir + "/bundle-config/" + it.key()) << it->get<std::string>();
  std::string bundle_ctx = service_account_context("bundle");
  {
    Process bundle("run --kubeconfig " + server().kubeconfig() + " --context " + bundle_ctx + " --config " + dir +
                       "/bundle-config/cfg --admin-addr 127.0.0.1:0",
                   dir + "/bundle.log");
    // Lazyload (inside the bundle) renders the global sidecar boot handed it.
    EXPECT_TRUE(eventually([&] {
      return c.get(kDeployment, "mesh-operator", "global-sidecar").has_value() &&
             c.get(Gvk{"networking.istio.io", "v1alpha3", "EnvoyFilter"}, "istio-system", "to-global-sidecar").has_value();
    })) << read_text(dir + "/bundle.log");
  }
  for (const char* log : {"/operator.log", "/bundle.log"}) {
    std::string text = read_text(dir + log);
    // "HTTP 403", not a bare "403": log timestamps have milliseconds.
    EXPECT_EQ(text.find("HTTP 403"), std::string::npos) << log << ":\n" << text;
    EXPECT_EQ(text.find("orbidden"), std::string::npos) << log << ":\n" << text;
  }
  EXPECT_TRUE(c.remove(kSlimeBoot, "mesh-operator", "bundle").has_value());
  EXPECT_TRUE(eventually([&] {
    auto g = c.get(kDeployment, "mesh-operator", "bundle");
    return !g && g.error().not_found();
  }));
  // The finalizer is released by the operator as its ServiceAccount (patch on slimeboots).
  EXPECT_TRUE(eventually([&] {
    auto g = c.get(kSlimeBoot, "mesh-operator", "bundle");
    return !g && g.error().not_found();
  })) << read_text(dir + "/operator.log");
}

}  // namespace
}  // namespace slime::runtime

// `helm install slime charts/slime -n mesh-operator --create-namespace` into a real kube-apiserver: the
// CRDs and every object of the release are there; the operator, started with exactly the command line
// and configuration the release installed and authenticated as the release's ServiceAccount, deploys the
// SlimeBoot rendered from values; `helm upgrade` that drops the SlimeBoot has the operator clean up its
// modules (the uninstall procedure of the README); `helm uninstall` removes the release and keeps the CRDs.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <thread>

#include "envtest_server.h"
#include "eventually.h"
#include "slime_crds.h"
#include "helm.h"
#include "slime_process.h"
#include "slime/kube/cluster_config.h"

namespace slime::testing {
namespace {

using core::Gvk;
using core::Json;

const std::string kNamespace = "mesh-operator";
const Gvk kSlimeBoot{"config.netease.com", "v1alpha1", "SlimeBoot"};
const Gvk kDeployment{"apps", "v1", "Deployment"};
const Gvk kConfigMap{"", "v1", "ConfigMap"};

EnvtestServer& server() { return *EnvtestServer::start_shared().value(); }
kube::ClusterConfig config() { return kube::load_kubeconfig(server().kubeconfig()).value(); }

using slime::testing::eventually;

Command helm_cmd(const std::string& args) {
  return helm(args + " --kubeconfig " + server().kubeconfig(), server().dir() + "/helm-home");
}
Command kubectl(const std::string& args) {
  return run_command("KUBECONFIG=" + server().kubeconfig() + " HOME=" + server().dir() + " kubectl " + args);
}
Gvk gvk_of(const Json& doc) {
  std::string api = doc.value("apiVersion", "");
  auto slash = api.find('/');
  return slash == std::string::npos ? Gvk{"", api, doc.value("kind", "")}
                                    : Gvk{api.substr(0, slash), api.substr(slash + 1), doc.value("kind", "")};
}

// What the release installed, as Helm recorded it.
std::vector<Json> release_manifest() {
  auto r = helm_cmd("get manifest slime -n " + kNamespace);
  EXPECT_EQ(r.status, 0) << r.output;
  return yaml_documents(r.output, "helm get manifest");
}

// A kubeconfig context that authenticates as a ServiceAccount (TokenRequest), so the process has exactly
// the permissions the chart grants it.
std::string service_account_context(const std::string& sa) {
  auto token = kubectl("create token " + sa + " -n " + kNamespace);
  EXPECT_EQ(token.status, 0) << token.output;
  std::string t = token.output.substr(0, token.output.find_first_of("\r\n"));
  auto cluster = kubectl("config view -o jsonpath={.clusters[0].name}");
  EXPECT_EQ(kubectl("config set-credentials sa-" + sa + " --token=" + t).status, 0);
  EXPECT_EQ(kubectl("config set-context sa-" + sa + " --cluster=" + cluster.output + " --user=sa-" + sa).status, 0);
  return "sa-" + sa;
}

class HelmInstall : public ::testing::Test {
 protected:
  // The README's install command, with the bundle example so the release carries a SlimeBoot.
  static void SetUpTestSuite() {
    auto r = helm_cmd("install slime " + chart_dir() + " -n " + kNamespace + " --create-namespace -f " + chart_dir() +
                      "/examples/bundle.yaml");
    ASSERT_EQ(r.status, 0) << r.output;
  }
};

TEST_F(HelmInstall, CrdsAndEveryObjectOfTheReleaseAreThere) {
  kube::Client c(config());
  const auto crds = slime::testing::slime_crd_kinds(std::string(SLIME_SOURCE_DIR) + "/charts/slime/crds");
  EXPECT_TRUE(std::ranges::find(crds, kSlimeBoot) != crds.end());
  for (const Gvk& g : crds) EXPECT_TRUE(eventually([&] { return c.resource(g).has_value(); })) << g.kind;
  std::set<std::string> kinds;
  for (const auto& doc : release_manifest()) {
    auto g = gvk_of(doc);
    kinds.insert(g.kind);
    auto got = c.get(g, doc["metadata"].value("namespace", ""), doc["metadata"]["name"].get<std::string>());
    ASSERT_TRUE(got.has_value()) << g.kind << " " << doc["metadata"]["name"] << ": " << got.error().str();
    EXPECT_EQ(got->json()["metadata"]["labels"].value("app.kubernetes.io/managed-by", ""), "Helm") << g.kind;
  }
  for (const char* kind : {"Deployment", "ServiceAccount", "ConfigMap", "Service", "PodDisruptionBudget", "ClusterRole",
                           "ClusterRoleBinding", "SlimeBoot"})
    EXPECT_TRUE(kinds.contains(kind)) << kind << " not installed";
  auto status = helm_cmd("status slime -n " + kNamespace);
  EXPECT_NE(status.output.find("STATUS: deployed"), std::string::npos) << status.output;
}

// The operator exactly as the release runs it: the installed Deployment's command line (admin address on
// loopback), the installed ConfigMap as its mounted file, the installed ServiceAccount's permissions.
TEST_F(HelmInstall, OperatorAsInstalledDeploysTheSlimeBootFromValuesAndCleansUpOnUpgrade) {
  kube::Client c(config());
  std::string dir = server().dir();
  auto deployment = c.get(kDeployment, kNamespace, "slime-boot");
  ASSERT_TRUE(deployment.has_value()) << deployment.error().str();
  auto cm = c.get(kConfigMap, kNamespace, "slime-boot");
  ASSERT_TRUE(cm.has_value()) << cm.error().str();
  std::filesystem::create_directories(dir + "/operator-config");
  std::ofstream(dir + "/operator-config/cfg") << cm->json()["data"]["cfg"].get<std::string>();
  const Json& pod = deployment->json()["spec"]["template"]["spec"];
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["volumeMounts"][0]["mountPath"], "/etc/slime/config");

  std::vector<std::string> args;
  auto command = container["command"].get<std::vector<std::string>>();
  ASSERT_EQ(command.at(0), "/usr/local/bin/slime");
  for (size_t i = 1; i < command.size(); ++i) {
    if (command[i - 1] == "--admin-addr") args.push_back("127.0.0.1:0");
    else if (command[i - 1] == "--config") args.push_back(dir + "/operator-config/cfg");
    else args.push_back(command[i]);
  }
  std::string ctx = service_account_context(pod["serviceAccountName"].get<std::string>());
  args.insert(args.end(), {"--kubeconfig", server().kubeconfig(), "--context", ctx});
  std::string log;
  {
    SlimeProcess op;
    // POD_NAME and POD_NAMESPACE as the Deployment's downward API sets them.
    op.start(args, dir + "/operator.log", {{"POD_NAME", "slime-boot-0"}, {"POD_NAMESPACE", kNamespace}});
    // The probes' endpoints answer on the admin port.
    ASSERT_GT(op.admin_port(), 0) << op.log();
    std::string readiness = container["readinessProbe"]["httpGet"]["path"].get<std::string>();
    std::string liveness = container["livenessProbe"]["httpGet"]["path"].get<std::string>();
    EXPECT_TRUE(eventually([&] { return http_get(op.admin_port(), readiness).status == 200; })) << op.log();
    EXPECT_EQ(http_get(op.admin_port(), liveness).status, 200);
    ASSERT_TRUE(eventually([&] {
      auto sb = c.get(kSlimeBoot, kNamespace, "bundle");
      return sb && sb->status().contains("conditions") && sb->status()["conditions"][0]["status"] == "True";
    })) << op.log();
    EXPECT_TRUE(eventually([&] { return c.get(kDeployment, kNamespace, "bundle").has_value(); })) << op.log();

    // The README's uninstall, step 1: drop the SlimeBoot while the operator runs; it releases the finalizer.
    auto r = helm_cmd("upgrade slime " + chart_dir() + " -n " + kNamespace + " --reuse-values --set slimeBoot.enabled=false");
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_TRUE(eventually([&] {
      auto g = c.get(kDeployment, kNamespace, "bundle");
      return !g && g.error().not_found();
    })) << op.log();
    EXPECT_TRUE(eventually([&] {
      auto g = c.get(kSlimeBoot, kNamespace, "bundle");
      return !g && g.error().not_found();
    })) << op.log();
    log = op.log();
  }
  // "HTTP 403", not a bare "403": log timestamps have milliseconds.
  EXPECT_EQ(log.find("HTTP 403"), std::string::npos) << log;
  EXPECT_EQ(log.find("orbidden"), std::string::npos) << log;
}

// Step 2: `helm uninstall` removes the release's objects; the CRDs (and so users' resources) stay.
TEST_F(HelmInstall, UninstallKeepsTheCrds) {
  kube::Client c(config());
  auto manifest = release_manifest();
  auto r = helm_cmd("uninstall slime -n " + kNamespace + " --wait");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const auto& doc : manifest) {
    auto g = gvk_of(doc);
    auto got = c.get(g, doc["metadata"].value("namespace", ""), doc["metadata"]["name"].get<std::string>());
    EXPECT_TRUE(!got && got.error().not_found()) << g.kind << " " << doc["metadata"]["name"] << " still there";
  }
  EXPECT_TRUE(c.resource(kSlimeBoot).has_value());
  EXPECT_EQ(helm_cmd("status slime -n " + kNamespace).status, 1);
}

}  // namespace
}  // namespace slime::testing

// Drives the real `slime` binary: `slime boot render`, and `slime render --config` reading the
// ConfigMap a bundle SlimeBoot renders (cfg + cfg_<item>), which is how the deployed process starts.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "slime/core/yaml.h"

namespace {
namespace fs = std::filesystem;

struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class BootCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slime-boot-cli-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun slime(const std::string& args) {
    std::string cmd = std::string(SLIME_BINARY_DIR) + "/bin/slime " + args + " </dev/null >" + (dir_ / "out").string() +
                      " 2>" + (dir_ / "err").string();
    CliRun r;
    int raw = std::system(cmd.c_str());
    r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    r.out = slurp(dir_ / "out");
    r.err = slurp(dir_ / "err");
    return r;
  }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  static std::string sample(const std::string& name) {
    return std::string(SLIME_SOURCE_DIR) + "/test/golden/boot/" + name + "/input.yaml";
  }
  static std::vector<slime::core::Json> docs(const std::string& yaml) {
    auto parsed = slime::core::parse_yaml_documents(yaml);
    EXPECT_TRUE(parsed.errors.empty());
    std::vector<slime::core::Json> out;
    for (auto& d : parsed.documents) out.push_back(std::move(d.json));
    return out;
  }
  static int count(const std::vector<slime::core::Json>& docs, const std::string& kind, const std::string& name) {
    int n = 0;
    for (const auto& d : docs)
      if (d.value("kind", "") == kind && d["metadata"].value("name", "") == name) ++n;
    return n;
  }
  fs::path dir_;
};

TEST_F(BootCli, RendersASampleWithTheGlobalSidecarPreview) {
  auto r = slime("boot render -f " + sample("lazyload-cluster-accesslog"));
  ASSERT_EQ(r.status, 0) << r.err;
  auto d = docs(r.out);
  EXPECT_EQ(count(d, "Deployment", "lazyload"), 1);
  EXPECT_EQ(count(d, "Deployment", "global-sidecar"), 1);
  EXPECT_EQ(count(d, "EnvoyFilter", "to-global-sidecar"), 1);
  // The original's Go image is replaced, and the user is told.
  EXPECT_NE(r.err.find("note: SlimeBoot mesh-operator/lazyload: spec.image docker.io/slimeio/slime-lazyload:v0.8.0"),
            std::string::npos);
}

TEST_F(BootCli, NoGlobalSidecarAndImageFlags) {
  auto r = slime("boot render --no-global-sidecar --image registry.example.com:5000/slime:2.0 -f " +
                 sample("lazyload-cluster-accesslog"));
  ASSERT_EQ(r.status, 0) << r.err;
  auto d = docs(r.out);
  EXPECT_EQ(count(d, "Deployment", "global-sidecar"), 0);
  EXPECT_EQ(d.size(), 5u);
  for (const auto& o : d) {
    if (o["kind"] == "Deployment") {
      EXPECT_EQ(o["spec"]["template"]["spec"]["containers"][0]["image"], "registry.example.com:5000/slime:2.0");
    }
  }
}

TEST_F(BootCli, JsonOutputIsAList) {
  auto r = slime("boot render -o json -f " + sample("plugin"));
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = slime::core::Json::parse(r.out);
  EXPECT_EQ(j["kind"], "List");
  EXPECT_EQ(j["items"].size(), 5u);
}

TEST_F(BootCli, InvalidSlimeBootIsReportedWithFileLineAndFieldAndOthersStillRender) {
  auto f = write("sb.yaml", R"(apiVersion: config.netease.com/v1alpha1
kind: SlimeBoot
metadata: {name: ok, namespace: mesh-operator}
spec:
  module: [{name: plugin, kind: plugin, enable: true}]
---
apiVersion: config.netease.com/v1alpha1
kind: SlimeBoot
metadata: {name: bad, namespace: mesh-operator}
spec:
  replicaCount: many
  module: [{name: limiter, kind: limiter, enable: true}]
)");
  auto r = slime("boot render -f " + f);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("sb.yaml:7: document 1: SlimeBoot mesh-operator/bad: spec.replicaCount"), std::string::npos) << r.err;
  auto d = docs(r.out);
  EXPECT_EQ(count(d, "Deployment", "plugin"), 1);
  EXPECT_EQ(count(d, "Deployment", "limiter"), 0);
}

TEST_F(BootCli, NoSlimeBootIsAnError) {
  auto f = write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\n");
  auto r = slime("boot render -f " + f);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no SlimeBoot"), std::string::npos);
}

TEST_F(BootCli, TheBundleConfigMapStartsTheBundle) {
  auto r = slime("boot render --no-global-sidecar -f " + sample("bundle"));
  ASSERT_EQ(r.status, 0) << r.err;
  fs::create_directories(dir_ / "config");
  int keys = 0;
  for (const auto& d : docs(r.out)) {
    if (d["kind"] != "ConfigMap") continue;
    for (auto it = d["data"].begin(); it != d["data"].end(); ++it, ++keys)
      std::ofstream(dir_ / "config" / it.key()) << it->get<std::string>();
  }
  EXPECT_EQ(keys, 4);  // cfg, cfg_lazyload, cfg_limiter, cfg_plugin
  // The process reads cfg, finds the bundle, loads cfg_<item> next to it; lazyload then renders the
  // global sidecar from the component boot handed over (legacyFilterName: true in the sample).
  auto run = slime("render -f " + write("empty.yaml", "") + " --config " + (dir_ / "config" / "cfg").string());
  ASSERT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.err.find("bundle names module"), std::string::npos) << run.err;
  auto d = docs(run.out);
  EXPECT_EQ(count(d, "Deployment", "global-sidecar"), 1) << run.out;
  EXPECT_NE(run.out.find("envoy.http_connection_manager"), std::string::npos);
}

}  // namespace

namespace {

// deploy/rbac.yaml is what `slime boot rbac` derives from the modules' reads()/writes(): a module that
// starts reading or writing a new kind must regenerate it (`slime boot rbac > deploy/rbac.yaml`).
TEST_F(BootCli, DeployRbacIsGeneratedFromTheModuleContract) {
  auto r = slime("boot rbac");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, slurp(std::string(SLIME_SOURCE_DIR) + "/deploy/rbac.yaml"))
      << "deploy/rbac.yaml is stale: run `build/bin/slime boot rbac > deploy/rbac.yaml`";
  auto roles = docs(r.out);
  // One role per module kind; only the plugin's reads Secrets; only boot's binds, and only module roles.
  for (const auto& role : roles) {
    std::string name = role["metadata"]["name"];
    bool secrets = false, bind = false;
    for (const auto& rule : role["rules"]) {
      for (const auto& res : rule["resources"]) secrets |= res == "secrets";
      for (const auto& v : rule["verbs"]) {
        bind |= v == "bind";
        EXPECT_NE(v, "*") << name;
        EXPECT_NE(v, "escalate") << name;
      }
      if (rule.contains("resourceNames")) {
        for (const auto& n : rule["resourceNames"]) EXPECT_TRUE(n.get<std::string>().starts_with("slime-")) << name;
      }
    }
    EXPECT_EQ(secrets, name == "slime-plugin") << name;
    EXPECT_EQ(bind, name == "slime-boot") << name;
  }
  EXPECT_EQ(count(roles, "ClusterRole", "slime-boot"), 1);
  EXPECT_EQ(count(roles, "ClusterRole", "slime-lazyload"), 1);
}

// A SlimeBoot entry binds its ServiceAccount to the role of its kind; a bundle to one role per item kind.
TEST_F(BootCli, ModuleDeploymentsAreBoundToTheirKindsRoles) {
  auto r = slime("boot render --no-global-sidecar -f " + std::string(SLIME_SOURCE_DIR) + "/examples/boot/bundle.yaml");
  ASSERT_EQ(r.status, 0) << r.err;
  std::set<std::string> roles;
  for (const auto& d : docs(r.out))
    if (d.value("kind", "") == "ClusterRoleBinding") roles.insert(d["roleRef"]["name"].get<std::string>());
  EXPECT_EQ(roles, (std::set<std::string>{"slime-lazyload", "slime-limiter", "slime-plugin"}));
}

}  // namespace

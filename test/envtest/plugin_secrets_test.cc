// The plugin module reads only the Secrets PluginManagers name (issue #13, point 3). On a real apiserver
// that writes an audit log of every Secret request: a PluginManager naming Secret `regcred` gets regcred's
// credentials and every change of them; renamed to `regcred2`, it gets those, and regcred's watch stops;
// Secret `other` in the same namespace is never requested, and no request of Slime's lists or watches
// Secrets without a metadata.name field selector. The test writes its Secrets with kubectl, so the audit
// log tells its requests (user agent kubectl) from Slime's (slime-cpp).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "envtest_server.h"
#include "eventually.h"
#include "slime/core/yaml.h"
#include "slime/kube/cluster_config.h"
#include "slime_process.h"

namespace slime::testing {
namespace {

namespace fs = std::filesystem;
using core::Json;

const core::Gvk kEnvoyFilter{"networking.istio.io", "v1alpha3", "EnvoyFilter"};

constexpr const char* kAuditPolicy = R"(apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets"]
- level: None
)";

// A docker config JSON Secret whose registry auth is `auth`.
std::string secret_yaml(const std::string& name, const std::string& auth) {
  return "apiVersion: v1\nkind: Secret\nmetadata: {name: " + name + ", namespace: shop}\n"
         "type: kubernetes.io/dockerconfigjson\n"
         "stringData:\n  .dockerconfigjson: '{\"auths\":{\"registry.example.com\":{\"auth\":\"" + auth + "\"}}}'\n";
}

std::string plugin_manager_yaml(const std::string& secret) {
  return R"(apiVersion: microservice.slime.io/v1alpha1
kind: PluginManager
metadata: {name: auth, namespace: shop}
spec:
  workloadLabels: {app: cart}
  plugin:
  - name: auth-wasm
    enable: true
    listenerType: Inbound
    port: 9080
    wasm: {url: registry.example.com/plugins/auth:v1, sha256: 3f2a, pluginName: auth_root, imagePullSecretName: )" +
         secret + "}\n";
}

class PluginSecrets : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slime-plugin-secrets-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "audit-policy.yaml") << kAuditPolicy;
    setenv("SLIME_ENVTEST_AUDIT_POLICY", (dir_ / "audit-policy.yaml").c_str(), 1);
    auto s = EnvtestServer::start_private();
    unsetenv("SLIME_ENVTEST_AUDIT_POLICY");
    ASSERT_TRUE(s.has_value()) << s.error().str();
    server_ = std::move(*s);
    client_ = std::make_unique<kube::Client>(kube::load_kubeconfig(server_->kubeconfig()).value());
    ASSERT_TRUE(EnvtestServer::install_istio_and_slime_crds(*client_).has_value());
  }
  void TearDown() override {
    if (server_) server_->stop();
    fs::remove_all(dir_);
  }

  // kubectl apply of one YAML document; true on success.
  bool kubectl_apply(const std::string& yaml) {
    fs::path file = dir_ / "apply.yaml";
    std::ofstream(file) << yaml;
    std::string cmd = "KUBECONFIG=" + server_->kubeconfig() + " HOME=" + dir_.string() + " kubectl apply -f " +
                      file.string() + " >" + (dir_ / "kubectl.out").string() + " 2>&1";
    bool ok = std::system(cmd.c_str()) == 0;
    EXPECT_TRUE(ok) << slurp(dir_ / "kubectl.out");
    return ok;
  }

  // The pull secret the EnvoyFilter shop/auth carries to the proxies ("" while there is none).
  std::string pulled_auth() {
    auto ef = client_->get(kEnvoyFilter, "shop", "auth");
    if (!ef) return "";
    std::string text = ef->json().dump();
    auto at = text.find("ISTIO_META_WASM_IMAGE_PULL_SECRET");
    return at == std::string::npos ? "" : text.substr(at, 200);
  }

  fs::path dir_;
  std::unique_ptr<EnvtestServer> server_;
  std::unique_ptr<kube::Client> client_;
};

TEST_F(PluginSecrets, OnlyTheNamedSecretsAreEverRequested) {
  ASSERT_TRUE(kubectl_apply("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"));
  ASSERT_TRUE(kubectl_apply(secret_yaml("regcred", "Zmlyc3Q=")));
  ASSERT_TRUE(kubectl_apply(secret_yaml("regcred2", "dGhpcmQ=")));
  ASSERT_TRUE(kubectl_apply(secret_yaml("other", "bm90LW1pbmU=")));
  ASSERT_TRUE(kubectl_apply(plugin_manager_yaml("regcred")));
  std::ofstream(dir_ / "plugin.yaml") << "name: plugin\nkind: plugin\nenable: true\n";

  SlimeProcess slime;
  slime.start({"run", "--kubeconfig", server_->kubeconfig(), "--config", (dir_ / "plugin.yaml").string(),
               "--admin-addr", "127.0.0.1:0", "--als-addr", "off"},
              dir_ / "slime.log");
  auto has = [&](const std::string& auth) { return pulled_auth().find(auth) != std::string::npos; };
  EXPECT_TRUE(eventually([&] { return has("Zmlyc3Q="); }, std::chrono::seconds(60))) << pulled_auth() << slime.log();

  // The referenced Secret changes: the EnvoyFilter follows.
  ASSERT_TRUE(kubectl_apply(secret_yaml("regcred", "c2Vjb25k")));
  EXPECT_TRUE(eventually([&] { return has("c2Vjb25k"); })) << pulled_auth();
  // An unreferenced one changes: nothing to see, and (below) nothing requested.
  ASSERT_TRUE(kubectl_apply(secret_yaml("other", "Y2hhbmdlZA==")));
  // The reference moves: the new Secret is watched, the old one dropped.
  ASSERT_TRUE(kubectl_apply(plugin_manager_yaml("regcred2")));
  EXPECT_TRUE(eventually([&] { return has("dGhpcmQ="); })) << pulled_auth();
  EXPECT_TRUE(eventually([&] { return slime.log().find("stopped watch of unreferenced object=\"Secret shop/regcred\"") !=
                                      std::string::npos; }))
      << slime.log();
  EXPECT_TRUE(eventually([&] {
    return http_get(slime.admin_port(), "/metrics").body.find("slime_reference_watches 1") != std::string::npos;
  })) << http_get(slime.admin_port(), "/metrics").body;
  slime.kill_now(SIGTERM);

  // What the apiserver saw of Slime's Secret requests.
  std::ifstream audit(fs::path(server_->dir()) / "audit.log");
  ASSERT_TRUE(audit.good()) << "no audit log: the apiserver did not take the policy";
  std::map<std::string, int> by_name;  // the metadata.name each of Slime's requests selected
  int slime_requests = 0;
  for (std::string line; std::getline(audit, line);) {
    auto ev = core::parse_yaml(line);
    ASSERT_TRUE(ev.has_value()) << line;
    if (ev->value("userAgent", "") != "slime-cpp") continue;
    ++slime_requests;
    const Json& ref = (*ev)["objectRef"];
    std::string uri = (*ev)["requestURI"].get<std::string>();
    EXPECT_EQ(ref.value("namespace", ""), "shop") << uri;
    std::string verb = ev->value("verb", "");
    EXPECT_TRUE(verb == "list" || verb == "watch") << uri;
    auto sel = uri.find("fieldSelector=metadata.name%3D");
    ASSERT_NE(sel, std::string::npos) << "Secrets requested without a name selector: " << uri;
    std::string name = uri.substr(sel + 30, uri.find('&', sel) - sel - 30);
    // The apiserver authorizes a name-selected list/watch as a request for that one name (so a Role with
    // resourceNames suffices), and records it so.
    EXPECT_EQ(ref.value("name", ""), name) << uri;
    ++by_name[name];
  }
  EXPECT_GT(slime_requests, 0);
  EXPECT_TRUE(by_name.contains("regcred"));
  EXPECT_TRUE(by_name.contains("regcred2"));
  EXPECT_FALSE(by_name.contains("other")) << "the unreferenced Secret was requested";
  EXPECT_EQ(by_name.size(), 2u);
}

}  // namespace
}  // namespace slime::testing

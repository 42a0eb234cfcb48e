#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "slime/kube/api_error.h"
#include "slime/kube/cluster_config.h"

namespace slime::kube {
namespace {

namespace fs = std::filesystem;

TEST(ApiError, ReadsKubernetesStatusAndSurvivesAnythingElse) {
  auto e = api_error_from_response(409, R"({"kind":"Status","reason":"Conflict","message":"the object has been modified"})");
  EXPECT_TRUE(e.conflict());
  EXPECT_EQ(e.reason, "Conflict");
  EXPECT_EQ(e.str(), "HTTP 409 Conflict: the object has been modified");
  for (const char* body : {"", "<html>bad gateway</html>", "[1,2]", R"({"kind":5})", R"({"kind":"Status","reason":7})", "{\"kind\":"}) {
    auto x = api_error_from_response(502, body);
    EXPECT_EQ(x.code, 502) << body;
  }
  ApiError transport{0, "", "connect"};
  EXPECT_TRUE(transport.transport());
  ApiError not_found{404, "NotFound", "x"};
  EXPECT_EQ(not_found.to_error("Pod a/b").object, "Pod a/b");
}

TEST(Kubeconfig, ResolvesRelativePathsAgainstItsDirectoryAndPicksTheContext) {
  fs::path dir = fs::temp_directory_path() / "slime-kc-unit";
  fs::create_directories(dir);
  std::ofstream(dir / "config") << R"(apiVersion: v1
kind: Config
current-context: a
clusters:
- {name: c1, cluster: {server: "https://10.0.0.1:6443/", certificate-authority: ca.pem}}
- {name: c2, cluster: {server: "https://example:443", insecure-skip-tls-verify: true}}
users:
- {name: u1, user: {client-certificate: certs/u.crt, client-key: /abs/u.key}}
- {name: u2, user: {token: abc, tokenFile: tok}}
contexts:
- {name: a, context: {cluster: c1, user: u1}}
- {name: b, context: {cluster: c2, user: u2, namespace: ns-b}}
)";
  auto a = load_kubeconfig((dir / "config").string());
  ASSERT_TRUE(a.has_value()) << a.error().str();
  EXPECT_EQ(a->server, "https://10.0.0.1:6443");
  EXPECT_EQ(a->ca_file, (dir / "ca.pem").string());
  EXPECT_EQ(a->client_cert_file, (dir / "certs/u.crt").string());
  EXPECT_EQ(a->client_key_file, "/abs/u.key");
  EXPECT_EQ(a->ns, "default");
  auto b = load_kubeconfig((dir / "config").string(), "b");
  ASSERT_TRUE(b.has_value());
  EXPECT_TRUE(b->insecure_skip_tls_verify);
  EXPECT_EQ(b->token, "abc");
  EXPECT_EQ(b->token_file, (dir / "tok").string());
  EXPECT_EQ(b->ns, "ns-b");
  auto missing = load_kubeconfig((dir / "config").string(), "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().str().find("context \"nope\" not found"), std::string::npos);
  fs::remove_all(dir);
}

TEST(InClusterConfig, NeedsTheServiceEnvironmentAndTheToken) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_FALSE(in_cluster_config("/nonexistent").has_value());
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  EXPECT_FALSE(in_cluster_config("/nonexistent").has_value()) << "no token file";
  fs::path dir = fs::temp_directory_path() / "slime-sa-unit";
  fs::create_directories(dir);
  std::ofstream(dir / "token") << "t";
  auto c = in_cluster_config(dir.string());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->server, "https://[fd00::1]:443");
  EXPECT_EQ(c->ns, "default");
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace slime::kube

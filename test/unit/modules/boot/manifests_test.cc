// Rendering rules that the golden cases do not isolate: image choice, leader election, bundles, the
// lazyload hand-over and its precedence rules.
#include <gtest/gtest.h>

#include "test_util.h"

namespace slime::boot {
namespace {

using core::Json;
using testing::cfg_json;
using testing::find;
using testing::spec_of;

const Json& container(const core::Object& deployment) {
  return deployment.json()["spec"]["template"]["spec"]["containers"][0];
}

TEST(Manifests, OriginalGoImagesAreRecognised) {
  EXPECT_TRUE(is_original_go_image("docker.io/slimeio/slime-lazyload"));
  EXPECT_TRUE(is_original_go_image("slimeio/slime-bundle-all"));
  EXPECT_TRUE(is_original_go_image("registry.cn-hangzhou.aliyuncs.com/slimeio/slime-limiter"));
  EXPECT_FALSE(is_original_go_image("docker.io/slimeio/slime-global-sidecar"));
  EXPECT_FALSE(is_original_go_image("registry.example.com/mesh/slime-lazyload"));
  EXPECT_FALSE(is_original_go_image("slime"));
}

TEST(Manifests, GoImageIsReplacedWithOursAndNoted) {
  auto s = spec_of("image: {repository: docker.io/slimeio/slime-plugin, tag: v0.8.0, pullPolicy: Always}\n"
                   "module: [{name: plugin, kind: plugin, enable: true}]");
  BootOptions o;
  o.image = {"registry.example.com/slime", "1.2", "IfNotPresent"};
  auto r = render_slimeboot(s, o, "mesh-operator/plugin");
  const auto* d = find(r.objects, "Deployment", "plugin");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(container(*d)["image"], "registry.example.com/slime:1.2");
  EXPECT_EQ(container(*d)["imagePullPolicy"], "IfNotPresent");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("docker.io/slimeio/slime-plugin:v0.8.0"), std::string::npos);
}

TEST(Manifests, OtherImagesAreUsedAsWrittenWithTheChartsPullPolicy) {
  auto s = spec_of("image: {repository: registry.example.com/slime}\nmodule: [{name: plugin, kind: plugin, enable: true}]");
  auto r = render_slimeboot(s, BootOptions{}, "");
  const auto* d = find(r.objects, "Deployment", "plugin");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(container(*d)["image"], "registry.example.com/slime");  // no tag: the repository alone
  EXPECT_EQ(container(*d)["imagePullPolicy"], "Always");
  EXPECT_TRUE(r.notes.empty());
  EXPECT_FALSE(d->json()["metadata"].contains("annotations"));  // no owner given
}

TEST(Manifests, CommandRunsOurBinaryWithTheAuxPortAndLeaderElectionId) {
  auto s = spec_of(R"(
service: {auxiliaryPort: 9999}
args: [--workers, "4"]
module:
- name: limiter
  kind: limiter
  enable: true
  global: {deployRev: canary, misc: {enableLeaderElection: "on"}}
)");
  auto r = render_slimeboot(s, BootOptions{}, "mesh-operator/limiter");
  const auto* d = find(r.objects, "Deployment", "limiter");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(container(*d)["command"], Json::parse(R"(["/usr/local/bin/slime","run","--config","/etc/slime/config/cfg",
      "--admin-addr","0.0.0.0:9999","--leader-election-id","limiter-canary"])"));
  EXPECT_EQ(container(*d)["args"], Json::parse(R"(["--workers","4"])"));
  // Leader Services are lazyload's (the global sidecar's access-log target).
  EXPECT_EQ(find(r.objects, "Service", "limiter-leader"), nullptr);
  EXPECT_EQ(d->annotation("slime.io/slimeboot"), "mesh-operator/limiter");
}

TEST(Manifests, BundleConfigMapCarriesEveryPlainEntryEvenDisabledOnes) {
  auto s = spec_of(R"(
module:
- {name: bundle, enable: true, bundle: {modules: [{name: limiter, kind: limiter}, {name: plugin, kind: plugin}]}}
- {name: limiter, kind: limiter, enable: true, mode: BundleItem}
- {name: plugin, kind: plugin, enable: false, mode: BundleItem}
)");
  auto r = render_slimeboot(s, BootOptions{}, "");
  const auto* cm = find(r.objects, "ConfigMap", "bundle");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(cm->json()["data"].size(), 3u);
  EXPECT_EQ(cfg_json(*cm)["name"], "bundle");
  EXPECT_EQ(cfg_json(*cm, "cfg_limiter")["mode"], "BundleItem");
  EXPECT_EQ(cfg_json(*cm, "cfg_plugin")["enable"], false);
  // Items get no objects of their own.
  EXPECT_EQ(find(r.objects, "Deployment", "limiter"), nullptr);
  EXPECT_EQ(find(r.objects, "ConfigMap", "limiter"), nullptr);
  EXPECT_EQ(r.objects.size(), 5u);  // ConfigMap, Deployment, ClusterRoleBinding, ServiceAccount, Service
}

TEST(Manifests, BundleWithLazyloadGetsServicesUnderTheLazyloadName) {
  auto s = spec_of(R"(
module:
- name: bundle
  enable: true
  bundle: {modules: [{name: lazyload, kind: lazyload}]}
  global: {misc: {enableLeaderElection: "on"}}
- {name: lazyload, kind: lazyload, enable: true, mode: BundleItem, general: {metricSourceType: accesslog}}
)");
  auto r = render_slimeboot(s, BootOptions{}, "");
  EXPECT_TRUE(r.problems.empty()) << r.problems[0].str();
  const auto* alias = find(r.objects, "Service", "lazyload");
  const auto* leader = find(r.objects, "Service", "lazyload-leader");
  ASSERT_NE(alias, nullptr);
  ASSERT_NE(leader, nullptr);
  EXPECT_EQ(alias->json()["spec"]["selector"], Json::parse(R"({"app":"bundle"})"));
  EXPECT_EQ(leader->json()["spec"]["selector"], Json::parse(R"({"app":"bundle","slime.io/leader":"true"})"));
}

TEST(Manifests, ABundleItemWithoutKindTakesTheBundlesKind) {
  auto s = spec_of(R"(
module:
- {name: bundle, enable: true, bundle: {modules: [{name: ll, kind: lazyload}]}}
- {name: ll, enable: true, mode: BundleItem, general: {metricSourceType: accesslog}}
)");
  ASSERT_EQ(s.modules.size(), 2u);
  EXPECT_TRUE(s.modules[1].is_lazyload());
  auto r = render_slimeboot(s, BootOptions{}, "");
  EXPECT_NE(find(r.objects, "Service", "ll"), nullptr);  // the access-log address of lazyload inside the bundle
  Json item = cfg_json(*find(r.objects, "ConfigMap", "bundle"), "cfg_ll");
  EXPECT_EQ(item["general"]["globalSidecar"], Json::parse(R"({"enable":false})"));
  EXPECT_FALSE(item.contains("kind"));  // the file stays as written; the bundle says the kind
}

TEST(Manifests, LazyloadGetsTheComponentAndNamespaces) {
  auto s = spec_of(R"(
namespace: slime
istioNamespace: istio
imagePullSecrets: [{name: regcred}]
service: {logSourcePort: 9082}
module: [{name: lazyload, kind: lazyload, enable: true, general: {metricSourceType: accesslog}}]
component:
  globalSidecar: {enable: true, port: 8080, image: {repository: gs, tag: "1", pullPolicy: Never}}
)");
  auto r = render_slimeboot(s, BootOptions{}, "");
  const auto* cm = find(r.objects, "ConfigMap", "lazyload");
  ASSERT_NE(cm, nullptr);
  Json cfg = cfg_json(*cm);
  EXPECT_EQ(cfg["general"]["globalSidecar"], Json::parse(R"({"enable":true,"port":8080,"image":{"repository":"gs","tag":"1"},
      "imagePullSecrets":[{"name":"regcred"}],"logSourcePort":9082})"));
  EXPECT_EQ(cfg["global"]["slimeNamespace"], "slime");
  EXPECT_EQ(cfg["global"]["istioNamespace"], "istio");
  EXPECT_FALSE(cfg["general"].contains("clusterGsNamespace"));  // the gs lives in the slime namespace
}

TEST(Manifests, LazyloadKeepsWhatItSaysItself) {
  auto s = spec_of(R"(
namespace: slime
istioNamespace: istio
module:
- name: lazyload
  kind: lazyload
  enable: true
  general: {metricSourceType: accesslog, globalSidecar: {enable: true, port: 81}}
  global: {slimeNamespace: mesh-operator, istioNamespace: istio-system}
component:
  globalSidecar: {enable: true, port: 8080}
)");
  auto r = render_slimeboot(s, BootOptions{}, "");
  Json cfg = cfg_json(*find(r.objects, "ConfigMap", "lazyload"));
  EXPECT_EQ(cfg["general"]["globalSidecar"]["port"], 81);
  EXPECT_EQ(cfg["global"]["slimeNamespace"], "mesh-operator");
  EXPECT_EQ(cfg["global"]["istioNamespace"], "istio-system");
  // The chart's placement of the cluster-mode global sidecar: spec.namespace.
  EXPECT_EQ(cfg["general"]["clusterGsNamespace"], "slime");
}

TEST(Manifests, LazyloadWithoutComponentRunsNoGlobalSidecar) {
  auto s = spec_of("module: [{name: lazyload, kind: lazyload, enable: true, general: {metricSourceType: prometheus}}]");
  BootOptions o;
  o.render_global_sidecar = true;
  auto r = render_slimeboot(s, o, "");
  Json cfg = cfg_json(*find(r.objects, "ConfigMap", "lazyload"));
  EXPECT_EQ(cfg["general"]["globalSidecar"], Json::parse(R"({"enable":false})"));
  EXPECT_EQ(find(r.objects, "Deployment", "global-sidecar"), nullptr);
  EXPECT_FALSE(cfg.contains("global"));  // nothing to add in the default namespaces
}

TEST(Manifests, PreviewMatchesWhatLazyloadRendersAndIsNotTagged) {
  auto s = spec_of(R"(
module: [{name: lazyload, kind: lazyload, enable: true, general: {metricSourceType: accesslog, wormholePort: ["9080"]}}]
component: {globalSidecar: {enable: true}}
)");
  BootOptions o;
  o.render_global_sidecar = true;
  auto r = render_slimeboot(s, o, "mesh-operator/lazyload");
  const auto* gs = find(r.objects, "Deployment", "global-sidecar");
  ASSERT_NE(gs, nullptr);
  EXPECT_TRUE(gs->annotation("slime.io/slimeboot").empty());
  const auto* svc = find(r.objects, "Service", "global-sidecar");
  ASSERT_NE(svc, nullptr);
  EXPECT_EQ(svc->json()["spec"]["ports"].size(), 2u);  // 9080 and the gs port 80
  EXPECT_NE(find(r.objects, "EnvoyFilter", "to-global-sidecar"), nullptr);
  BootOptions off;
  EXPECT_EQ(find(render_slimeboot(s, off, "").objects, "Deployment", "global-sidecar"), nullptr);
}

TEST(Manifests, InvalidLazyloadGeneralIsAProblemWithItsPath) {
  auto s = spec_of("module: [{name: lazyload, kind: lazyload, enable: true, general: {wormholePort: 9080}}]");
  auto r = render_slimeboot(s, BootOptions{}, "");
  ASSERT_FALSE(r.problems.empty());
  EXPECT_EQ(r.problems[0].field.rfind("spec.module[0].general.wormholePort", 0), 0u) << r.problems[0].str();
}

TEST(Manifests, NoServiceAccountWhenNotCreated) {
  auto s = spec_of("serviceAccount: {create: false}\nmodule: [{name: plugin, kind: plugin, enable: true}]");
  auto r = render_slimeboot(s, BootOptions{}, "");
  EXPECT_EQ(find(r.objects, "ServiceAccount", "plugin"), nullptr);
  EXPECT_NE(find(r.objects, "ClusterRoleBinding", "plugin"), nullptr);
}

TEST(Manifests, ClusterRoleBindingNameIsUniquePerNamespace) {
  auto s = spec_of("namespace: team-a\nmodule: [{name: plugin, kind: plugin, enable: true}]");
  BootOptions o;
  o.cluster_role = "restricted";  // the prefix of the per-kind roles
  auto r = render_slimeboot(s, o, "");
  const auto* crb = find(r.objects, "ClusterRoleBinding", "plugin-team-a");
  ASSERT_NE(crb, nullptr);
  EXPECT_EQ(crb->json()["roleRef"]["name"], "restricted-plugin");
  EXPECT_EQ(crb->json()["subjects"][0]["namespace"], "team-a");
}

TEST(Manifests, SeveralStandaloneEntriesEachGetADeployment) {
  auto s = spec_of("module: [{name: limiter, kind: limiter, enable: true}, {name: plugin, kind: plugin, enable: true}]");
  auto r = render_slimeboot(s, BootOptions{}, "");
  EXPECT_NE(find(r.objects, "Deployment", "limiter"), nullptr);
  EXPECT_NE(find(r.objects, "Deployment", "plugin"), nullptr);
  EXPECT_EQ(r.objects.size(), 10u);
}

}  // namespace
}  // namespace slime::boot

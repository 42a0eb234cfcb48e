// SlimeBoot decoding: defaults, both key spellings, and every validation rule with its field path.
#include <gtest/gtest.h>

#include "test_util.h"

namespace slime::boot {
namespace {

using testing::spec_of;
using testing::yaml;

TEST(SlimeBootSpec, DefaultsAreTheCharts) {
  auto s = spec_of("module: [{name: plugin, kind: plugin, enable: true}]");
  EXPECT_EQ(s.namespace_, "mesh-operator");
  EXPECT_EQ(s.istio_namespace, "istio-system");
  EXPECT_FALSE(s.istio_namespace_given);
  EXPECT_EQ(s.replica_count, 1);
  EXPECT_EQ(s.service.type, "ClusterIP");
  EXPECT_EQ(s.service.port, 80);
  EXPECT_EQ(s.service.auxiliary_port, 8081);
  EXPECT_EQ(s.service.log_source_port, 8082);
  EXPECT_EQ(s.service.mcp_over_xds_port, 16010);
  EXPECT_TRUE(s.service_account_create);
  EXPECT_TRUE(s.resources.is_null());
  ASSERT_EQ(s.modules.size(), 1u);
  EXPECT_TRUE(s.modules[0].rendered());
  EXPECT_EQ(s.modules[0].path, "spec.module[0]");
}

TEST(SlimeBootSpec, AcceptsSnakeCaseKeys) {
  auto s = spec_of(R"(
istio_namespace: istio
replica_count: 3
service: {auxiliary_port: 9000, log_source_port: 9001, mcp_over_xds_port: 9002}
service_account: {create: false}
image_pull_secrets: [{name: regcred}]
module: [{name: limiter, kind: limiter, enable: true}]
)");
  EXPECT_EQ(s.istio_namespace, "istio");
  EXPECT_EQ(s.replica_count, 3);
  EXPECT_EQ(s.service.auxiliary_port, 9000);
  EXPECT_EQ(s.service.log_source_port, 9001);
  EXPECT_EQ(s.service.mcp_over_xds_port, 9002);
  EXPECT_FALSE(s.service_account_create);
  EXPECT_EQ(s.image_pull_secrets.size(), 1u);
}

TEST(SlimeBootSpec, ZeroPortsMeanTheDefault) {
  auto s = spec_of("service: {port: 0, auxiliaryPort: 0}\nmodule: []");
  EXPECT_EQ(s.service.port, 80);
  EXPECT_EQ(s.service.auxiliary_port, 8081);
}

TEST(SlimeBootSpec, UnknownKeysAreWarningsNotErrors) {
  auto p = parse_slimeboot_spec(yaml("replicaCont: 2\nimage: {repo: x}\nmodule: [{name: a, kind: plugin, enable: true}]"));
  ASSERT_TRUE(p) << p.error().str();
  ASSERT_EQ(p->warnings.size(), 2u);
  std::string all = p->warnings[0].str() + p->warnings[1].str();
  EXPECT_NE(all.find("replicaCont"), std::string::npos);
  EXPECT_NE(all.find("spec.image.repo"), std::string::npos);
}

TEST(SlimeBootSpec, BundleItemsAndDisabledEntriesAreNotRendered) {
  auto s = spec_of(R"(
module:
- {name: bundle, enable: true, bundle: {modules: [{name: limiter, kind: limiter}]}}
- {name: limiter, kind: limiter, enable: true, mode: BundleItem}
- {name: plugin, kind: plugin, enable: false}
)");
  ASSERT_EQ(s.modules.size(), 3u);
  EXPECT_TRUE(s.modules[0].rendered());
  EXPECT_TRUE(s.modules[0].is_bundle());
  EXPECT_FALSE(s.modules[1].rendered());
  EXPECT_FALSE(s.modules[2].rendered());
}

struct Invalid {
  const char* yaml;
  const char* field;
  const char* message;
};

class SlimeBootInvalid : public ::testing::TestWithParam<Invalid> {};

TEST_P(SlimeBootInvalid, ReportsTheFieldPath) {
  auto p = parse_slimeboot_spec(yaml(GetParam().yaml));
  ASSERT_FALSE(p) << "accepted: " << GetParam().yaml;
  EXPECT_EQ(p.error().field, GetParam().field) << p.error().str();
  EXPECT_NE(p.error().message.find(GetParam().message), std::string::npos) << p.error().str();
}

INSTANTIATE_TEST_SUITE_P(
    Rules, SlimeBootInvalid,
    ::testing::Values(
        Invalid{"[1]", "spec", "expected a mapping"},
        Invalid{"module: {name: x}", "spec.module", "expected a list"},
        Invalid{"module: [{kind: plugin, enable: true}]", "spec.module[0].name", "needs a `name`"},
        Invalid{"module: [{name: Plugin, kind: plugin, enable: true}]", "spec.module[0].name", "DNS label"},
        Invalid{"module: [{name: 'a b', kind: plugin, enable: false}]", "spec.module[0].name", "letters, digits"},
        Invalid{"module: [{name: a, kind: plugin, enable: true}, {name: a, kind: limiter}]", "spec.module[1].name",
                "duplicate module name 'a'"},
        Invalid{"module: [{name: a, kind: plugin, enable: true, mode: Sidecar}]", "spec.module[0].mode",
                "expected Module or BundleItem"},
        Invalid{"module: [{name: a, kind: plugin, enable: yes-please}]", "spec.module[0].enable", ""},
        Invalid{"module: [{name: a, kind: plugin, enable: true, general: [1]}]", "spec.module[0].general",
                "expected a mapping"},
        Invalid{"module: [{name: b, enable: true, bundle: {modules: [{name: c}]}}]",
                "spec.module[0].bundle.modules[0].name", "no module entry"},
        Invalid{"module: [{name: b, enable: true, bundle: {modules: [{name: b2}]}}, {name: b2, bundle: {modules: []}}]",
                "spec.module[0].bundle.modules[0].name", "itself a bundle"},
        Invalid{"module: [{name: a234567890123456789012345678901234567890123456789012345678, kind: lazyload, "
                "enable: true, global: {misc: {enableLeaderElection: 'on'}}}]",
                "spec.module[0].name", "-leader"},
        Invalid{"namespace: Mesh_Operator", "spec.namespace", "DNS label"},
        Invalid{"istioNamespace: -istio", "spec.istioNamespace", "DNS label"},
        Invalid{"image: repo", "spec.image", "expected a mapping"},
        Invalid{"image: {pullPolicy: Sometimes}", "spec.image.pullPolicy", "Always, IfNotPresent, Never"},
        Invalid{"replicaCount: -1", "spec.replicaCount", ">= 0"},
        Invalid{"replicaCount: two", "spec.replicaCount", ""},
        Invalid{"service: {type: ExternalName}", "spec.service.type", "ClusterIP, NodePort, LoadBalancer"},
        Invalid{"service: {port: 70000}", "spec.service.port", "1-65535"},
        Invalid{"service: {mcpOverXdsPort: -5}", "spec.service.mcpOverXdsPort", "1-65535"},
        Invalid{"resources: {limits: {cpu: [1]}}", "spec.resources.limits.cpu", "quantity"},
        Invalid{"resources: {requests: 1}", "spec.resources.requests", "expected a mapping"},
        Invalid{"imagePullSecrets: [regcred]", "spec.imagePullSecrets[0]", "expected a mapping"},
        Invalid{"imagePullSecrets: [{}]", "spec.imagePullSecrets[0].name", "non-empty string"},
        Invalid{"nodeSelector: {zone: 1}", "spec.nodeSelector.zone", "string value"},
        Invalid{"tolerations: {key: a}", "spec.tolerations", "expected a list"},
        Invalid{"affinity: []", "spec.affinity", "expected a mapping"},
        Invalid{"volumes: [{emptyDir: {}}]", "spec.volumes[0].name", "non-empty string"},
        Invalid{"volumeMounts: [{name: 3}]", "spec.volumeMounts[0].name", "non-empty string"},
        Invalid{"env: [{value: x}]", "spec.env[0].name", "non-empty string"},
        Invalid{"args: [--x, 3]", "spec.args[1]", "expected a string"},
        Invalid{"args: --x", "spec.args", "list of strings"},
        Invalid{"serviceAccount: {create: maybe}", "spec.serviceAccount.create", ""},
        Invalid{"podAnnotations: {a: true}", "spec.podAnnotations.a", "string value"},
        Invalid{"component: {globalSidecar: {port: 0.5}}", "spec.component.globalSidecar.port", ""},
        Invalid{"component: {globalSidecar: {probePort: 99999}}", "spec.component.globalSidecar.probePort", "1-65535"},
        Invalid{"component: {globalSidecar: {replicas: -2}}", "spec.component.globalSidecar.replicas", ">= 0"},
        Invalid{"component: {globalSidecar: {sidecarInject: {mode: node}}}",
                "spec.component.globalSidecar.sidecarInject.mode", "pod, namespace"},
        Invalid{"component: {globalSidecar: {sidecarInject: {labels: {a: 1}}}}",
                "spec.component.globalSidecar.sidecarInject.labels.a", "string value"},
        Invalid{"component: {globalSidecar: {image: {pullPolicy: Often}}}",
                "spec.component.globalSidecar.image.pullPolicy", "Always"},
        Invalid{"component: {globalSidecar: true}", "spec.component.globalSidecar", "expected a mapping"},
        Invalid{"component: []", "spec.component", "expected a mapping"}));

TEST(SlimeBootSpec, DnsLabels) {
  EXPECT_TRUE(is_dns_label("lazyload"));
  EXPECT_TRUE(is_dns_label("a-1"));
  EXPECT_FALSE(is_dns_label(""));
  EXPECT_FALSE(is_dns_label("-a"));
  EXPECT_FALSE(is_dns_label("a-"));
  EXPECT_FALSE(is_dns_label("A"));
  EXPECT_FALSE(is_dns_label("a.b"));
  EXPECT_TRUE(is_dns_label(std::string(63, 'a')));
  EXPECT_FALSE(is_dns_label(std::string(64, 'a')));
}

}  // namespace
}  // namespace slime::boot

#include "slime/modules/lazyload/config.h"

#include "test_util.h"

namespace slime::lazyload {
namespace {
using testing::config_of;

TEST(FenceConfig, DefaultsMatchTheOriginal) {
  FenceConfig c = config_of();
  EXPECT_TRUE(c.wormhole_port.empty());
  EXPECT_FALSE(c.auto_fence);
  EXPECT_TRUE(c.namespaces.empty());
  EXPECT_TRUE(c.dispatches.empty());
  EXPECT_TRUE(c.domain_alias_rules.empty());
  EXPECT_FALSE(c.default_fence);
  EXPECT_FALSE(c.auto_port);
  EXPECT_EQ(c.cluster_gs_namespace, "");
  EXPECT_EQ(c.fence_label_key_alias, "");
  EXPECT_FALSE(c.enable_short_domain);
  EXPECT_FALSE(c.disable_ipv4_passthrough);
  EXPECT_FALSE(c.passthrough_by_default);
  EXPECT_FALSE(c.support_h2);
  EXPECT_FALSE(c.add_env_header_via_lua);
  EXPECT_EQ(c.global_sidecar_mode, "");
  EXPECT_FALSE(c.namespace_mode());
  EXPECT_EQ(c.render, "");
  EXPECT_EQ(c.metric_source, MetricSource::kAccessLog);  // the original refused to start instead
  EXPECT_FALSE(c.cleanup_wormhole_port);
  EXPECT_TRUE(c.management_selectors.empty());
  EXPECT_FALSE(c.black_namespace_list);
  EXPECT_FALSE(c.white_namespace_list);
  EXPECT_EQ(c.proxy_version, "");
  EXPECT_TRUE(c.stable_host.empty());
  EXPECT_FALSE(c.dependency_ttl);
  EXPECT_EQ(c.cluster_gs_ns(), "mesh-operator");
}

TEST(FenceConfig, ReadsEveryOption) {
  FenceConfig c = config_of(R"Y({
    wormholePort: ["9080", 9090], autoFence: true, namespace: [a, b],
    dispatches: [{name: d, domains: ["*.x"], cluster: PassthroughCluster, domainRegex: ""}],
    domainAliases: [{pattern: "(.*)", templates: ["$1.alias"]}], defaultFence: true, autoPort: true,
    clusterGsNamespace: gs, fenceLabelKeyAlias: "lazyload.slime.io/workload:wl", enableShortDomain: true,
    disableIpv4Passthrough: true, passthroughByDefault: true, supportH2: true, addEnvHeaderViaLua: true,
    globalSidecarMode: namespace, render: lazyload, metricSourceType: prometheus, cleanupWormholePort: true,
    managementSelectors: [{matchLabels: {team: a}}], whiteNamespaceList: "a, b", proxyVersion: "^1\\.1.*",
    stableHost: [foo.com, "bar/*"], dependencyTtl: 1h30m})Y");
  EXPECT_EQ(c.wormhole_port, (std::vector<std::string>{"9080", "9090"}));
  EXPECT_TRUE(c.auto_fence && c.default_fence && c.auto_port && c.enable_short_domain && c.disable_ipv4_passthrough);
  EXPECT_TRUE(c.passthrough_by_default && c.support_h2 && c.add_env_header_via_lua && c.cleanup_wormhole_port);
  EXPECT_EQ(c.namespaces.size(), 2u);
  ASSERT_EQ(c.dispatches.size(), 1u);
  EXPECT_EQ(c.dispatches[0].cluster, "PassthroughCluster");
  EXPECT_FALSE(c.aliases.empty());
  EXPECT_EQ(c.cluster_gs_namespace, "gs");
  EXPECT_EQ(c.fence_label_key, "lazyload.slime.io/workload");
  EXPECT_EQ(c.fence_label_alias, "wl");
  EXPECT_TRUE(c.namespace_mode());
  EXPECT_EQ(c.metric_source, MetricSource::kPrometheus);
  EXPECT_EQ(c.management_selectors.size(), 1u);
  EXPECT_EQ(c.white_list, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.proxy_version, "^1\\.1.*");
  EXPECT_EQ(c.stable_host.size(), 2u);
  ASSERT_TRUE(c.dependency_ttl);
  EXPECT_EQ(c.dependency_ttl->count(), 5400);
}

TEST(FenceConfig, TypeErrorsNameTheField) {
  core::ModuleConfig m;
  m.general = *core::parse_yaml("{autoFence: maybe}");
  auto r = parse_config(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "autoFence");
  m.general = *core::parse_yaml("{metricSourceType: kafka}");
  r = parse_config(m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("accesslog or prometheus"), std::string::npos);
  m.general = *core::parse_yaml("{whiteNamespaceList: a, blackNamespaceList: b}");
  EXPECT_FALSE(parse_config(m));
}

TEST(FenceConfig, UnknownKeysAndBadAliasesAreWarnings) {
  core::ModuleConfig m;
  m.general = *core::parse_yaml(R"Y({wormholePorts: ["9080"], domainAliases: [{pattern: "(", templates: [x]}]})Y");
  auto r = parse_config(m);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->warnings.size(), 2u);
  EXPECT_TRUE(r->config.aliases.empty());
}

TEST(FenceConfig, TcpLazyloadIsOffByDefaultAndNeedsServiceCidrs) {
  FenceConfig off = config_of();
  EXPECT_FALSE(off.tcp_lazyload.enable);
  EXPECT_FALSE(off.tcp_lazyload.active());
  EXPECT_EQ(off.tcp_lazyload.port, 16088);

  FenceConfig on = config_of(R"Y({tcpLazyload: {enable: true, port: 15432, serviceCidrs: [10.96.0.0/12, "fd00:10:96::/112"]}})Y");
  EXPECT_TRUE(on.tcp_lazyload.active());
  EXPECT_EQ(on.tcp_lazyload.port, 15432);
  EXPECT_EQ(on.tcp_lazyload.service_cidrs, (std::vector<std::string>{"10.96.0.0/12", "fd00:10:96::/112"}));

  core::ModuleConfig m;
  m.general = *core::parse_yaml("{tcpLazyload: {enable: true}}");
  auto r = parse_config(m);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->config.tcp_lazyload.active());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].field, "tcpLazyload.serviceCidrs");

  for (const char* bad : {"{tcpLazyload: {serviceCidrs: [10.96.0.0]}}", "{tcpLazyload: {serviceCidrs: [10.96.0/12]}}",
                          "{tcpLazyload: {serviceCidrs: [10.96.0.256/12]}}", "{tcpLazyload: {serviceCidrs: [10.0.0.0/33]}}",
                          "{tcpLazyload: {serviceCidrs: [\"fd00::/129\"]}}", "{tcpLazyload: {serviceCidrs: [a.b.c.d/8]}}"}) {
    m.general = *core::parse_yaml(bad);
    r = parse_config(m);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().field, "tcpLazyload.serviceCidrs[0]") << bad;
  }
  m.general = *core::parse_yaml("{tcpLazyload: {port: 70000}}");
  r = parse_config(m);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "tcpLazyload.port");
}

TEST(ParseDuration, GoSyntax) {
  EXPECT_EQ(parse_duration(core::Json("24h"))->count(), 86400);
  EXPECT_EQ(parse_duration(core::Json("90s"))->count(), 90);
  EXPECT_EQ(parse_duration(core::Json(30))->count(), 30);
  EXPECT_FALSE(parse_duration(core::Json("3 days")));
}

// Found reading the code: a value beyond int64's range was cast from double (undefined behaviour; UBSan
// reports it), and a huge integer TTL overflowed `now + ttl` later.
TEST(ParseDuration, HugeValuesAreErrorsNotOverflow) {
  for (const char* s : {"1000000000000000000000000000000h", "1e30h", "876600h1s", "99999999999999999999s"}) {
    auto d = parse_duration(core::Json(s));
    ASSERT_FALSE(d) << s;
  }
  auto d = parse_duration(core::Json("1000000000000000000000000000000h"));
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("100 years"), std::string::npos) << d.error().message;
  EXPECT_FALSE(parse_duration(core::Json(uint64_t{18446744073709551615ull})));
  EXPECT_FALSE(parse_duration(core::Json(int64_t{9000000000000000000})));
  EXPECT_EQ(parse_duration(core::Json("876000h"))->count(), 876000LL * 3600);  // 100 years exactly
}

}  // namespace
}  // namespace slime::lazyload

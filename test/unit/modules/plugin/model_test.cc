// Decoding and validation of PluginManager / EnvoyPlugin specs.
#include <gtest/gtest.h>

#include "slime/core/yaml.h"
#include "slime/modules/plugin/model.h"

namespace slime::plugin {
namespace {

Json yaml(const char* text) {
  auto j = core::parse_yaml(text);
  EXPECT_TRUE(j) << j.error().str();
  return *j;
}

TEST(PluginModel, BothSpellingsAndEnumNumbers) {
  std::vector<core::Error> problems;
  auto spec = parse_plugin_manager_spec(yaml(R"(
workload_labels: {app: a}
priority: 7
plugin:
  - name: camel
    enable: true
    listenerType: Gateway
    typeUrl: t
    genericAppProtocol: thrift
    protocol: Generic
    disableOnFilterLevel: true
    rawPatch: {a: 1}
    wasm: {pluginName: p, url: u, imagePullSecretName: s}
  - name: snake
    enable: true
    listenerType: 1
    type_url: t
    generic_app_protocol: dubbo
    protocol: 2
    disable_on_filter_level: true
    raw_patch: {a: 1}
    rider: {plugin_name: p, url: u, image_pull_secret_content: c}
)"),
                                        problems);
  ASSERT_TRUE(spec) << spec.error().str();
  EXPECT_TRUE(problems.empty()) << problems[0].str();
  EXPECT_EQ(spec->workload_labels.at("app"), "a");
  EXPECT_EQ(spec->priority, 7);
  ASSERT_EQ(spec->plugins.size(), 2u);
  const Plugin& a = spec->plugins[0];
  const Plugin& b = spec->plugins[1];
  EXPECT_EQ(a.listener_type, ListenerType::kGateway);
  EXPECT_EQ(b.listener_type, ListenerType::kInbound);
  for (const Plugin* p : {&a, &b}) {
    EXPECT_EQ(p->type_url, "t");
    EXPECT_EQ(p->protocol, Protocol::kGeneric);
    EXPECT_TRUE(p->disable_on_filter_level);
    EXPECT_TRUE(p->raw_patch);
    EXPECT_EQ(p->code.plugin_name, "p");
  }
  EXPECT_EQ(a.kind, SettingsKind::kWasm);
  EXPECT_EQ(a.code.image_pull_secret_name, "s");
  EXPECT_EQ(b.kind, SettingsKind::kRider);
  EXPECT_EQ(b.code.image_pull_secret_content, "c");
  EXPECT_EQ(b.path, "spec.plugin[1]");
}

TEST(PluginModel, InvalidItemsAreDroppedWithFieldPaths) {
  std::vector<core::Error> problems;
  auto spec = parse_plugin_manager_spec(yaml(R"(
plugin:
  - {name: ok, enable: true}
  - {enable: true}
  - {name: p, enable: true, port: 65536}
  - {name: w, enable: true, wasm: {}}
  - {name: g, enable: true, protocol: Generic}
  - {name: d, enable: false, wasm: {}}
  - "not a mapping"
)"),
                                        problems);
  ASSERT_TRUE(spec);
  ASSERT_EQ(spec->plugins.size(), 2u);  // ok, and the disabled one
  EXPECT_EQ(spec->plugins[0].name, "ok");
  EXPECT_EQ(spec->plugins[1].name, "d");
  std::vector<std::string> fields;
  for (auto& p : problems) fields.push_back(p.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"spec.plugin[1].name", "spec.plugin[2].port", "spec.plugin[3].wasm.url",
                                              "spec.plugin[4].genericAppProtocol", "spec.plugin[6]"}));
}

TEST(PluginModel, SpecLevelErrorsFailTheResource) {
  std::vector<core::Error> problems;
  EXPECT_FALSE(parse_plugin_manager_spec(yaml("plugin: {a: 1}"), problems));
  EXPECT_FALSE(parse_plugin_manager_spec(yaml("workloadLabels: {app: 1}"), problems));
  EXPECT_FALSE(parse_plugin_manager_spec(yaml("priority: 3000000000"), problems));
  EXPECT_FALSE(parse_envoy_plugin_spec(yaml("route: a"), problems));
  EXPECT_FALSE(parse_envoy_plugin_spec(yaml("workloadSelector: {labels: [a]}"), problems));
  auto r = parse_plugin_manager_spec(Json::array(), problems);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().field, "spec");
}

TEST(PluginModel, EnvoyPluginSpec) {
  std::vector<core::Error> problems;
  auto spec = parse_envoy_plugin_spec(yaml(R"(
route: [v/r, r, ""]
host: [h]
service: [s]
gateway: [g]
user: [u]
isGroupSetting: true
workload_selector: {labels: {app: a}}
priority: -1
listener:
  - {port: 80, portName: http, bind: b, hosts: [x], sidecar: true, outbound: true}
plugins:
  - {name: a, enable: true, inline: {directPatch: true, fieldPatchTo: route, settings: {k: v}}}
  - {name: b, enable: true}
)"),
                                      problems);
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->route, (std::vector<std::string>{"v/r", "r"}));
  EXPECT_EQ(spec->host, std::vector<std::string>{"h"});
  ASSERT_TRUE(spec->workload_selector);
  EXPECT_EQ(spec->workload_selector->at("app"), "a");
  EXPECT_EQ(spec->priority, -1);
  ASSERT_EQ(spec->listeners.size(), 1u);
  EXPECT_EQ(spec->listeners[0].port_name, "http");
  EXPECT_TRUE(spec->listeners[0].sidecar);
  ASSERT_EQ(spec->plugins.size(), 1u);
  EXPECT_TRUE(spec->plugins[0].inline_settings.direct_patch);
  EXPECT_EQ(spec->plugins[0].inline_settings.field_patch_to, "route");
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].field, "spec.route[2]");
  EXPECT_EQ(problems[1].field, "spec.plugins[1]");
}

TEST(PluginModel, UnknownFieldsAreReported) {
  std::vector<core::Error> problems;
  auto spec = parse_envoy_plugin_spec(yaml(R"(
plugin: []
hostz: [a]
plugins:
  - {name: a, enable: true, inline: {setings: {}}}
)"),
                                      problems);
  ASSERT_TRUE(spec);
  std::vector<std::string> fields;
  for (auto& p : problems) fields.push_back(p.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"spec.plugins[0].inline.setings", "spec.hostz", "spec.plugin"}));
  EXPECT_NE(problems[2].message.find("`plugins`"), std::string::npos);
}

}  // namespace
}  // namespace slime::plugin

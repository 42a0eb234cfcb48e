// Malformed input never crashes or throws: every field of rich PluginManager / EnvoyPlugin specs is
// replaced in turn by values of every JSON type, and each variant must reconcile (problems allowed).
#include <gtest/gtest.h>

#include <functional>

#include "slime/core/yaml.h"
#include "slime/modules/plugin/plugin_module.h"
#include "slime/store/memory_store.h"

namespace slime::plugin {
namespace {

const char* kPluginManager = R"(
apiVersion: microservice.slime.io/v1alpha1
kind: PluginManager
metadata: {name: pm, namespace: ns, labels: {istio.io/rev: default}}
spec:
  workloadLabels: {app: a}
  priority: 1
  gateways: [g]
  plugin:
    - {name: i, enable: true, listenerType: Gateway, port: 80, typeUrl: t, disableOnFilterLevel: true,
       inline: {settings: {a: 1}, directPatch: true, fieldPatchTo: x}, rawPatch: {patch: {operation: ADD}}}
    - {name: w, enable: true, protocol: Dubbo,
       wasm: {url: oci://r/w:1, sha256: s, pluginName: p, imagePullSecretName: cred, settings: {_string: raw}}}
    - {name: r, enable: true, protocol: Generic, genericAppProtocol: thrift,
       rider: {url: https://r/r.lua, imagePullSecretContent: c, settings: {ISTIO_RIDER_ENV: {a: b}}}}
)";

const char* kEnvoyPlugin = R"(
apiVersion: microservice.slime.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: ep, namespace: ns}
spec:
  workloadSelector: {labels: {app: a}}
  priority: 2
  route: [v/r, r]
  host: [h, inbound|http|80]
  listener:
    - {port: 80, portName: http, bind: b, hosts: [x], sidecar: false}
    - {port: 81, portName: generic-thrift, sidecar: true, hosts: [y]}
  plugins:
    - {name: envoy.filters.http.cors, enable: true, inline: {settings: {cors: {}}}, rawPatch: {match: {context: ANY}}}
    - {name: i, enable: true, listenerType: Inbound, inline: {settings: {a: 1}, directPatch: true, fieldPatchTo: route}}
    - {name: w, enable: true, protocol: Generic, genericAppProtocol: x, wasm: {url: u, settings: {k: v}}}
    - {name: r, enable: true, protocol: Dubbo, rider: {url: file:///r.lua, settings: {k: v}}}
)";

std::vector<core::Json> replacements() {
  return {core::Json(), core::Json(true), core::Json(-1), core::Json(70000), core::Json(1.5), core::Json(1e30),
          core::Json("s"), core::Json(""), core::Json::array(), core::Json::array({1, "x"}), core::Json::object(),
          core::Json{{"zz", 1}}};
}

// Calls `visit` with a copy of `doc` in which one value at one position was replaced.
void for_each_variant(const core::Json& doc, const std::function<void(const core::Json&)>& visit) {
  std::function<void(core::Json&, core::Json&)> walk = [&](core::Json& node, core::Json& root) {
    auto mutate = [&](core::Json& slot) {
      core::Json saved = slot;
      for (const auto& r : replacements()) {
        slot = r;
        visit(root);
      }
      slot = std::move(saved);
    };
    if (node.is_object()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        mutate(*it);
        walk(*it, root);
      }
    } else if (node.is_array()) {
      for (auto& e : node) {
        mutate(e);
        walk(e, root);
      }
    }
  };
  core::Json copy = doc;
  walk(copy["spec"], copy);
}

TEST(PluginRobustness, EveryFieldWithEveryTypeReconcilesWithoutThrowing) {
  PluginModule module;
  core::ModuleConfig config;
  config.name = config.kind = "plugin";
  config.global.istio_rev = "default";
  ASSERT_TRUE(module.configure(config));
  core::NoMetrics metrics;
  int variants = 0;
  for (const char* text : {kPluginManager, kEnvoyPlugin}) {
    auto doc = core::parse_yaml(text);
    ASSERT_TRUE(doc) << doc.error().str();
    for_each_variant(*doc, [&](const core::Json& variant) {
      store::MemoryStore store;
      auto object = core::Object::from_json(variant);
      ASSERT_TRUE(object);
      store.put(*object);
      core::RenderContext ctx{store, metrics, {}};
      for (const auto& key : module.keys(ctx)) {
        core::ModuleOutput out;
        ASSERT_NO_THROW(out = module.reconcile(ctx, key)) << variant.dump();
        for (const auto& p : out.problems) {
          EXPECT_FALSE(p.object.empty());
          EXPECT_EQ(p.message.find("internal error"), std::string::npos) << p.str() << "\n" << variant.dump();
        }
        for (const auto& o : out.objects) EXPECT_EQ(o.kind(), "EnvoyFilter");
      }
      ASSERT_NO_THROW(module.keys_for(ctx, *object));
      ++variants;
    });
  }
  EXPECT_GT(variants, 500);
}

}  // namespace
}  // namespace slime::plugin

// Malformed input never crashes or throws: every field of rich PluginManager / EnvoyPlugin specs is
// replaced in turn by values of every JSON type, and each variant must reconcile. What it renders is
// checked too: at most the resource's own EnvoyFilter (same namespace and name), problems that name the
// resource and a field under spec, and never a silent nothing (no EnvoyFilter means a problem says why).
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

// The resource's reference as problems carry it ("PluginManager ns/pm").
std::string ref_of(const core::Json& doc) {
  return doc["kind"].get<std::string>() + " " + doc["metadata"]["namespace"].get<std::string>() + "/" +
         doc["metadata"]["name"].get<std::string>();
}

TEST(PluginRobustness, EveryFieldWithEveryTypeRendersItsOwnFilterOrSaysWhyNot) {
  PluginModule module;
  core::ModuleConfig config;
  config.name = config.kind = "plugin";
  config.global.istio_rev = "default";
  ASSERT_TRUE(module.configure(config));
  core::NoMetrics metrics;
  int variants = 0, rendered = 0, refused = 0;
  for (const char* text : {kPluginManager, kEnvoyPlugin}) {
    auto doc = core::parse_yaml(text);
    ASSERT_TRUE(doc) << doc.error().str();
    const std::string ref = ref_of(*doc);
    const std::string ns = (*doc)["metadata"]["namespace"], name = (*doc)["metadata"]["name"];
    for_each_variant(*doc, [&](const core::Json& variant) {
      store::MemoryStore store;
      auto object = core::Object::from_json(variant);
      ASSERT_TRUE(object);
      store.put(*object);
      core::RenderContext ctx{store, metrics, {}};
      auto keys = module.keys(ctx);
      ASSERT_EQ(keys.size(), 1u) << variant.dump();  // the spec never decides whether the resource is ours
      core::ModuleOutput out;
      ASSERT_NO_THROW(out = module.reconcile(ctx, keys[0])) << variant.dump();
      for (const auto& p : out.problems) {
        EXPECT_EQ(p.object, ref) << p.str();
        EXPECT_TRUE(p.field.starts_with("spec")) << p.str() << "\n" << variant.dump();
        EXPECT_EQ(p.message.find("internal error"), std::string::npos) << p.str() << "\n" << variant.dump();
      }
      ASSERT_LE(out.objects.size(), 1u) << variant.dump();
      if (out.objects.empty()) {
        EXPECT_FALSE(out.problems.empty()) << "rendered nothing and said nothing: " << variant.dump();
        ++refused;
      } else {
        const auto& ef = out.objects[0];
        EXPECT_EQ(ef.kind(), "EnvoyFilter");
        EXPECT_EQ(ef.ns(), ns);
        EXPECT_EQ(ef.name(), name);
        const core::Json& spec = ef.json()["spec"];
        bool patches = spec.contains("configPatches") && spec["configPatches"].is_array() && !spec["configPatches"].empty();
        EXPECT_TRUE(patches || !spec.contains("configPatches")) << variant.dump();
        // A filter without patches only when no plugin was asked for, or plugins were refused and the problems
        // say which.
        const core::Json& given = variant["spec"].value(variant["kind"] == "PluginManager" ? "plugin" : "plugins",
                                                        core::Json());
        bool asked_for_none = given.is_null() || (given.is_array() && given.empty());
        if (!patches && !asked_for_none) {
          EXPECT_FALSE(out.problems.empty()) << "an empty EnvoyFilter, unexplained: " << variant.dump();
        }
        ++rendered;
      }
      std::vector<std::string> changed_keys;
      ASSERT_NO_THROW(changed_keys = module.keys_for(ctx, *object));
      EXPECT_EQ(changed_keys, keys);
      ++variants;
    });
  }
  EXPECT_GT(variants, 500);
  // Both outcomes occur: the mutations reach validation (refused) and tolerated values still render.
  EXPECT_GT(rendered, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace slime::plugin

// The module contract: configuration, keys, keys_for (Secrets and EnvoyFilters), revision gate.
#include <gtest/gtest.h>

#include "slime/core/yaml.h"
#include "slime/modules/plugin/plugin_module.h"
#include "slime/render/render.h"
#include "slime/store/manifest_loader.h"
#include "slime/store/memory_store.h"

namespace slime::plugin {
namespace {

core::Object obj(const char* text) {
  auto j = core::parse_yaml(text);
  EXPECT_TRUE(j) << j.error().str();
  auto o = core::Object::from_json(*j);
  EXPECT_TRUE(o) << o.error().str();
  return *o;
}

core::ModuleConfig module_config(core::Json general = core::Json::object(), std::string rev = {}, bool strict = false) {
  core::ModuleConfig c;
  c.name = c.kind = "plugin";
  c.enable = true;
  c.general = std::move(general);
  c.global.istio_rev = std::move(rev);
  c.global.strict_rev = strict;
  return c;
}

class PluginModuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.put(obj(R"(
apiVersion: microservice.slime.io/v1alpha1
kind: PluginManager
metadata: {name: uses-wasm-secret, namespace: a}
spec: {plugin: [{name: w, enable: true, wasm: {url: oci://x/y, imagePullSecretName: cred}}]}
)"));
    store_.put(obj(R"(
apiVersion: microservice.slime.io/v1alpha1
kind: PluginManager
metadata: {name: uses-rider-secret, namespace: a, labels: {istio.io/rev: canary}}
spec: {plugin: [{name: r, enable: true, rider: {url: oci://x/y, image_pull_secret_name: cred}}]}
)"));
    store_.put(obj(R"(
apiVersion: microservice.slime.io/v1alpha1
kind: PluginManager
metadata: {name: other-secret, namespace: a}
spec: {plugin: [{name: w, enable: true, wasm: {url: oci://x/y, imagePullSecretName: other}}]}
)"));
    store_.put(obj(R"(
apiVersion: microservice.slime.io/v1alpha1
kind: PluginManager
metadata: {name: same-name-other-ns, namespace: b}
spec: {plugin: [{name: w, enable: true, wasm: {url: oci://x/y, imagePullSecretName: cred}}]}
)"));
    store_.put(obj(R"(
apiVersion: microservice.slime.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: ep, namespace: a, labels: {istio.io/rev: other}}
spec: {host: [h], plugins: [{name: f, enable: true, inline: {}}]}
)"));
  }

  core::RenderContext ctx() { return {store_, metrics_, std::chrono::system_clock::time_point{}}; }

  store::MemoryStore store_;
  core::NoMetrics metrics_;
};

TEST_F(PluginModuleTest, KeysHonourTheRevisionGate) {
  PluginModule m;
  ASSERT_TRUE(m.configure(module_config()));
  EXPECT_EQ(m.keys(ctx()).size(), 5u);

  ASSERT_TRUE(m.configure(module_config({}, "canary")));
  EXPECT_EQ(m.keys(ctx()), (std::vector<std::string>{"PluginManager/a/other-secret", "PluginManager/a/uses-rider-secret",
                                                      "PluginManager/a/uses-wasm-secret",
                                                      "PluginManager/b/same-name-other-ns"}));
  ASSERT_TRUE(m.configure(module_config({}, "canary", true)));
  EXPECT_EQ(m.keys(ctx()), std::vector<std::string>{"PluginManager/a/uses-rider-secret"});
  // Out of scope: nothing rendered even when asked directly.
  EXPECT_TRUE(m.reconcile(ctx(), "EnvoyPlugin/a/ep").objects.empty());
  EXPECT_EQ(m.reconcile(ctx(), "PluginManager/a/uses-rider-secret").objects.size(), 1u);
}

TEST_F(PluginModuleTest, RevisionScope) {
  PluginConfig c;
  EXPECT_TRUE(c.rev_in_scope(""));
  EXPECT_TRUE(c.rev_in_scope("anything"));
  c.istio_revs = {"default", "canary"};
  EXPECT_TRUE(c.rev_in_scope(""));
  EXPECT_TRUE(c.rev_in_scope("canary"));
  EXPECT_FALSE(c.rev_in_scope("other"));
  c.strict_rev = true;
  EXPECT_FALSE(c.rev_in_scope(""));
  EXPECT_TRUE(c.rev_in_scope("default"));
}

TEST_F(PluginModuleTest, SecretChangeReachesReferencingPluginManagers) {
  PluginModule m;
  ASSERT_TRUE(m.configure(module_config()));
  auto secret = obj(R"(
apiVersion: v1
kind: Secret
metadata: {name: cred, namespace: a}
type: kubernetes.io/dockerconfigjson
)");
  // Rider references count too (the original only tracked wasm ones).
  EXPECT_EQ(m.keys_for(ctx(), secret),
            (std::vector<std::string>{"PluginManager/a/uses-rider-secret", "PluginManager/a/uses-wasm-secret"}));
  auto unrelated = obj("{apiVersion: v1, kind: Secret, metadata: {name: nobody, namespace: a}}");
  EXPECT_TRUE(m.keys_for(ctx(), unrelated).empty());
  // Only PluginManagers this instance serves.
  ASSERT_TRUE(m.configure(module_config({}, "default", true)));
  EXPECT_TRUE(m.keys_for(ctx(), secret).empty());
  ASSERT_TRUE(m.configure(module_config({}, "canary", true)));
  EXPECT_EQ(m.keys_for(ctx(), secret), std::vector<std::string>{"PluginManager/a/uses-rider-secret"});
}

TEST_F(PluginModuleTest, OwnAndGeneratedObjectChanges) {
  PluginModule m;
  ASSERT_TRUE(m.configure(module_config()));
  auto pm = obj("{apiVersion: microservice.slime.io/v1alpha1, kind: PluginManager, metadata: {name: gone, namespace: z}}");
  EXPECT_EQ(m.keys_for(ctx(), pm), std::vector<std::string>{"PluginManager/z/gone"});
  auto ef = obj("{apiVersion: networking.istio.io/v1alpha3, kind: EnvoyFilter, metadata: {name: ep, namespace: a}}");
  EXPECT_EQ(m.keys_for(ctx(), ef), std::vector<std::string>{"EnvoyPlugin/a/ep"});
  ASSERT_TRUE(m.configure(module_config({}, "default", true)));
  EXPECT_TRUE(m.keys_for(ctx(), ef).empty());  // the EnvoyPlugin is labelled istio.io/rev=other
  EXPECT_EQ(m.keys_for(ctx(), pm), std::vector<std::string>{"PluginManager/z/gone"});  // own changes always
  auto stray = obj("{apiVersion: networking.istio.io/v1alpha3, kind: EnvoyFilter, metadata: {name: x, namespace: a}}");
  EXPECT_TRUE(m.keys_for(ctx(), stray).empty());
  EXPECT_TRUE(m.reconcile(ctx(), "PluginManager/z/gone").objects.empty());
  EXPECT_TRUE(m.reconcile(ctx(), "garbage").objects.empty());
  EXPECT_TRUE(m.reconcile(ctx(), "Sidecar/a/b").objects.empty());
}

TEST_F(PluginModuleTest, MissingSecretIsAProblemNotACrash) {
  PluginModule m;
  ASSERT_TRUE(m.configure(module_config()));
  auto out = m.reconcile(ctx(), "PluginManager/a/uses-wasm-secret");
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_FALSE(out.objects[0].spec().contains("configPatches"));
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].object, "PluginManager a/uses-wasm-secret");
  EXPECT_EQ(out.problems[0].field, "spec.plugin[0].wasm.imagePullSecretName");
}

TEST(PluginModuleConfig, GeneralIsValidated) {
  PluginModule m;
  EXPECT_FALSE(m.configure(module_config(core::Json{{"proxyVersion", 3}})));
  EXPECT_FALSE(m.configure(module_config(core::Json{{"configDiscoveryDefaultConfig", {{"t", "x"}}}})));
  auto bad_re = m.configure(module_config(core::Json{{"passthroughLabelRegex", "("}}));
  ASSERT_FALSE(bad_re);
  EXPECT_EQ(bad_re.error().field, "general.passthroughLabelRegex");

  ASSERT_TRUE(m.configure(module_config(core::Json{{"proxy_version", "1.2"}, {"surprise", true}})));
  EXPECT_EQ(m.config().proxy_version, "1.2");
  ASSERT_EQ(m.config_warnings().size(), 1u);
  EXPECT_EQ(m.config_warnings()[0].field, "general.surprise");

  ASSERT_TRUE(m.configure(module_config({}, "a,, b ,")));
  EXPECT_EQ(m.config().istio_revs, (std::vector<std::string>{"a", "", "b", ""}));
}

}  // namespace
}  // namespace slime::plugin

namespace slime::plugin {
namespace {

// examples/plugin/ is documented as runnable: it must keep rendering, without problems.
TEST(PluginExamples, RenderWithoutProblems) {
  auto loaded = store::load_paths({std::string(SLIME_SOURCE_DIR) + "/examples/plugin"});
  ASSERT_TRUE(loaded.errors.empty()) << loaded.errors[0].str();
  std::vector<core::Object> inputs;
  for (auto& l : loaded.objects) inputs.push_back(l.object);
  std::vector<std::unique_ptr<core::Module>> modules;
  modules.push_back(make_module());
  ASSERT_TRUE(modules[0]->configure(module_config()));
  core::NoMetrics metrics;
  auto result = render::render(inputs, modules, metrics);
  EXPECT_TRUE(result.problems.empty()) << result.problems[0].str();
  std::vector<std::string> names;
  for (const auto& o : result.generated) {
    EXPECT_EQ(o.kind(), "EnvoyFilter");
    EXPECT_TRUE(o.spec().contains("configPatches")) << o.name();
    names.push_back(o.name());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"reviews-cors", "reviews-plugins", "reviews-routes"}));
}

}  // namespace
}  // namespace slime::plugin

namespace slime::plugin {
namespace {

TEST(PluginProblems, OneReportPerProblemEvenAcrossTargets) {
  store::MemoryStore store;
  auto j = core::parse_yaml(R"(
apiVersion: microservice.slime.io/v1alpha1
kind: EnvoyPlugin
metadata: {name: ep, namespace: ns}
spec:
  host: [a, b, c]
  plugins:
    - {name: f, enable: true, typeUrl: type.example/F, inline: {}, rawPatch: {bogus: 1}}
    - {name: g, enable: true, typeUrl: type.example/G, inline: {}}
)");
  ASSERT_TRUE(j);
  store.put(core::Object(*j));
  core::NoMetrics metrics;
  core::RenderContext ctx{store, metrics, {}};
  PluginModule m;
  core::ModuleConfig c;
  ASSERT_TRUE(m.configure(c));
  auto out = m.reconcile(ctx, "EnvoyPlugin/ns/ep");
  ASSERT_EQ(out.problems.size(), 1u);
  EXPECT_EQ(out.problems[0].field, "spec.plugins[0].rawPatch");
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_EQ(out.objects[0].spec()["configPatches"].size(), 3u);  // g on each host; f skipped
}

}  // namespace
}  // namespace slime::plugin

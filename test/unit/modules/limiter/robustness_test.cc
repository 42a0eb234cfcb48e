// Every value of a full SmartLimiter replaced, one at a time, by each JSON type: the module must report
// problems, never throw or crash, and whatever it renders must still be the limiter's own objects.
#include <gtest/gtest.h>

#include <functional>

#include "slime/core/module.h"
#include "slime/core/yaml.h"
#include "slime/modules/registry.h"
#include "slime/render/render.h"
#include "slime/store/memory_store.h"

namespace slime::limiter {
namespace {

constexpr const char* kLimiter = R"(
apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: reviews, namespace: default, labels: {istio.io/rev: default}}
spec:
  gateway: false
  host: ""
  workloadSelector: {app: reviews}
  target: {direction: outbound, port: 80, route: [a/b], host: [h]}
  sets:
    _base:
      descriptor:
      - condition: "{{._base.pod}} > 0"
        customKey: k
        customValue: v
        action:
          quota: "10/{{._base.pod}}"
          fill_interval: {seconds: 1, nanos: 0}
          strategy: global
          headers_to_add: [{key: a, value: b}]
        match:
        - {name: x, exact_match: y, regex_match: z, prefix_match: p, suffix_match: s, present_match: true,
           invert_match: true, is_exact_match_empty: true, present_match_separate: true, useQueryMatch: true,
           matchSource: SourceIpMatch}
        target: {direction: inbound, port: 9080, route: [a/b], host: [h]}
)";

void for_each_path(core::Json& j, const std::function<void(core::Json&)>& visit) {
  visit(j);
  if (j.is_object())
    for (auto& [k, v] : j.items()) for_each_path(v, visit);
  else if (j.is_array())
    for (auto& v : j) for_each_path(v, visit);
}

// `base` with its spec's node number `target` (depth-first, as for_each_path visits) replaced by `r`.
core::Json mutated(const core::Json& base, size_t target, const core::Json& r) {
  core::Json doc = base;
  size_t i = 0;
  for_each_path(doc["spec"], [&](core::Json& node) {
    if (i++ == target) node = r;
  });
  return doc;
}

// The limiter and one running pod of its workload.
store::MemoryStore world_with(const core::Json& limiter) {
  store::MemoryStore store;
  store.put(core::Object(limiter));
  core::Object pod("v1", "Pod", "default", "reviews-1");
  pod.set_label("app", "reviews");
  pod.json()["status"] = {{"phase", "Running"}};
  store.put(pod);
  return store;
}

TEST(Robustness, TypeConfusedSpecsNeverThrow) {
  auto module = modules::create("limiter");
  ASSERT_TRUE(module);
  core::ModuleConfig c;
  c.name = c.kind = "limiter";
  ASSERT_TRUE(module->configure(c));
  auto base = core::parse_yaml(kLimiter);
  ASSERT_TRUE(base);
  const std::vector<core::Json> replacements = {nullptr, 5, -1, 1.5, "x", "", core::Json::array(), core::Json::object(), true};

  // Count the nodes under spec, then replace each one in turn.
  size_t nodes = 0;
  core::Json probe = (*base)["spec"];
  for_each_path(probe, [&](core::Json&) { ++nodes; });
  ASSERT_GT(nodes, 40u);
  // The unmutated limiter renders its EnvoyFilter: the baseline the mutations are measured against.
  {
    store::MemoryStore store = world_with(*base);
    core::NoMetrics none;
    core::RenderContext ctx{store, none, {}};
    auto out = module->reconcile(ctx, "SmartLimiter/default/reviews");
    ASSERT_FALSE(out.objects.empty());
    EXPECT_EQ(out.objects[0].name(), "reviews.default.ratelimit");
  }
  size_t renders = 0;
  for (size_t target = 0; target < nodes; ++target) {
    for (const auto& r : replacements) {
      store::MemoryStore store = world_with(mutated(*base, target, r));
      core::NoMetrics none;
      core::RenderContext ctx{store, none, {}};
      for (const auto& key : module->keys(ctx)) {
        core::ModuleOutput out;
        EXPECT_NO_THROW({
          module->metric_requests(ctx, key);
          out = module->reconcile(ctx, key);
          ++renders;
        }) << "node " << target << " = " << r.dump();
        // What it renders: only this limiter's EnvoyFilters (or the RLS ConfigMap), statuses of the
        // limiter only, problems that name the limiter and one of its fields.
        for (const auto& o : out.objects) {
          if (o.kind() == "ConfigMap") continue;
          EXPECT_EQ(o.kind(), "EnvoyFilter");
          EXPECT_EQ(o.ns(), "default");
          EXPECT_TRUE(o.name().starts_with("reviews.default.") && o.name().ends_with(".ratelimit")) << o.name();
        }
        for (const auto& st : out.statuses) EXPECT_EQ(st.key.name, "reviews");
        for (const auto& p : out.problems) {
          EXPECT_EQ(p.object, "SmartLimiter default/reviews") << p.str();
          EXPECT_TRUE(p.field.starts_with("spec") || p.field.starts_with("metadata"))
              << p.str() << "\nnode " << target << " = " << r.dump();
        }
      }
    }
  }
  EXPECT_GT(renders, nodes);
}

// `slime render` of the limiter (global strategy, a customKey descriptor) and one pod: the RLS ConfigMap.
render::RenderResult render_world(const std::vector<core::Object>& extra, const core::Json* limiter) {
  std::vector<std::unique_ptr<core::Module>> modules;
  modules.push_back(modules::create("limiter"));
  core::ModuleConfig c;
  c.name = c.kind = "limiter";
  EXPECT_TRUE(modules[0]->configure(c));
  std::vector<core::Object> inputs = extra;
  if (limiter) {
    store::MemoryStore world = world_with(*limiter);
    for (const auto* o : world.list({"", "Pod"})) inputs.push_back(*o);
    inputs.push_back(core::Object(*limiter));
  }
  core::NoMetrics none;
  return render::render(std::move(inputs), modules, none);
}

const core::Object* find_configmap(const render::RenderResult& r) {
  for (const auto& o : r.generated)
    if (o.kind() == "ConfigMap") return &o;
  return nullptr;
}

bool mentions_fixed_point(const render::RenderResult& r) {
  for (const auto& p : r.problems)
    if (p.message.find("fixed point") != std::string::npos) return true;
  return false;
}

// The customKey descriptor's RLS entry (key k, value v) carries no owner in its value. It used to read
// back as a user's entry: kept and rendered again beside itself every round, so `slime render` reported
// "no fixed point after 10 rounds" and `slime run` grew the ConfigMap on every reconcile.
TEST(Robustness, GlobalCustomKeyDescriptorReachesAFixedPointAndLeavesWithItsLimiter) {
  auto base = core::parse_yaml(kLimiter);
  ASSERT_TRUE(base);
  auto first = render_world({}, &*base);
  EXPECT_FALSE(mentions_fixed_point(first));
  EXPECT_LE(first.rounds, 3);
  const core::Object* cm = find_configmap(first);
  ASSERT_NE(cm, nullptr);
  std::string config = cm->json()["data"]["config.yaml"];
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(config, "key: k\n"), 1u) << config;

  // Rendered again from its own output (what `slime run` does on the next reconcile): unchanged.
  core::Object written = *cm;
  auto again = render_world({written}, &*base);
  ASSERT_NE(find_configmap(again), nullptr);
  EXPECT_EQ(find_configmap(again)->json()["data"], cm->json()["data"]);

  // The limiter deleted: its custom entry goes, a user's entry in the same ConfigMap stays.
  core::Object with_user = written;
  auto parsed = core::parse_yaml(std::string(with_user.json()["data"]["config.yaml"]));
  ASSERT_TRUE(parsed);
  (*parsed)["descriptors"].push_back(
      {{"key", "user"}, {"value", "mine"}, {"rate_limit", {{"unit", "minute"}, {"requests_per_unit", 5}}}});
  with_user.json()["data"]["config.yaml"] = core::to_yaml(*parsed);
  auto gone = render_world({with_user}, nullptr);
  const core::Object* left = find_configmap(gone);
  ASSERT_NE(left, nullptr);
  std::string left_config = left->json()["data"]["config.yaml"];
  EXPECT_EQ(count(left_config, "key: k\n"), 0u) << left_config;
  EXPECT_EQ(count(left_config, "key: user\n"), 1u) << left_config;
  EXPECT_EQ(left->annotation("slime.io/rls-custom-descriptors"), "") << left->json().dump();
}

// Every mutation of the limiter renders to a fixed point too.
TEST(Robustness, TypeConfusedSpecsReachAFixedPoint) {
  auto base = core::parse_yaml(kLimiter);
  ASSERT_TRUE(base);
  const std::vector<core::Json> replacements = {nullptr, 5, "x", core::Json::array(), core::Json::object()};
  size_t nodes = 0;
  core::Json probe = (*base)["spec"];
  for_each_path(probe, [&](core::Json&) { ++nodes; });
  for (size_t target = 0; target < nodes; ++target) {
    for (const auto& r : replacements) {
      core::Json doc = mutated(*base, target, r);
      auto result = render_world({}, &doc);
      EXPECT_FALSE(mentions_fixed_point(result)) << "node " << target << " = " << r.dump();
    }
  }
}

}  // namespace
}  // namespace slime::limiter

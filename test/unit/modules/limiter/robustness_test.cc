// Every value of a full SmartLimiter replaced, one at a time, by each JSON type: the module must report
// problems, never throw or crash, and whatever it renders must still be the limiter's own objects.
#include <gtest/gtest.h>

#include <functional>

#include "slime/core/module.h"
#include "slime/core/yaml.h"
#include "slime/modules/registry.h"
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
      core::Json doc = *base;
      size_t i = 0;
      for_each_path(doc["spec"], [&](core::Json& node) {
        if (i++ == target) node = r;
      });
      store::MemoryStore store = world_with(doc);
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

}  // namespace
}  // namespace slime::limiter

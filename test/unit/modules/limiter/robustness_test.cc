// Every value of a full SmartLimiter replaced, one at a time, by each JSON type: the module must report
// problems, never throw or crash.
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
  size_t renders = 0;
  for (size_t target = 0; target < nodes; ++target) {
    for (const auto& r : replacements) {
      core::Json doc = *base;
      size_t i = 0;
      for_each_path(doc["spec"], [&](core::Json& node) {
        if (i++ == target) node = r;
      });
      store::MemoryStore store;
      store.put(core::Object(doc));
      core::Object pod("v1", "Pod", "default", "reviews-1");
      pod.set_label("app", "reviews");
      pod.json()["status"] = {{"phase", "Running"}};
      store.put(pod);
      core::NoMetrics none;
      core::RenderContext ctx{store, none, {}};
      for (const auto& key : module->keys(ctx)) {
        EXPECT_NO_THROW({
          module->metric_requests(ctx, key);
          auto out = module->reconcile(ctx, key);
          ++renders;
        }) << "node " << target << " = " << r.dump();
      }
    }
  }
  EXPECT_GT(renders, nodes);
}

}  // namespace
}  // namespace slime::limiter

#include <gtest/gtest.h>

#include "slime/render/render.h"

namespace slime::render {
namespace {

using core::GroupKind;
using core::Object;

// Turns every "Seed" into a "Middle" (like auto-fence: namespace -> ServiceFence).
class SeedToMiddle : public core::Module {
 public:
  std::string_view kind() const override { return "first"; }
  std::vector<GroupKind> reads() const override { return {{"test", "Seed"}}; }
  std::vector<GroupKind> writes() const override { return {{"test", "Middle"}}; }
  core::Result<void> configure(const core::ModuleConfig&) override { return {}; }
  std::vector<std::string> keys(const core::RenderContext& ctx) const override {
    std::vector<std::string> out;
    for (auto* o : ctx.objects.list({"test", "Seed"})) out.push_back(o->name());
    return out;
  }
  std::vector<std::string> keys_for(const core::RenderContext&, const Object& o) const override { return {o.name()}; }
  core::ModuleOutput reconcile(const core::RenderContext&, std::string_view key) const override {
    core::ModuleOutput out;
    if (key == "bad") {
      core::Error e;
      e.object = "Seed bad";
      e.field = "spec.x";
      e.message = "expected a number";
      out.problems.push_back(e);
      return out;
    }
    out.objects.emplace_back("test/v1", "Middle", "ns", std::string(key));
    return out;
  }
};

// Turns every "Middle" into a "Final" (like lazyload: ServiceFence -> Sidecar) and writes a status.
class MiddleToFinal : public core::Module {
 public:
  std::string_view kind() const override { return "second"; }
  std::vector<GroupKind> reads() const override { return {{"test", "Middle"}}; }
  std::vector<GroupKind> writes() const override { return {{"test", "Final"}}; }
  core::Result<void> configure(const core::ModuleConfig&) override { return {}; }
  std::vector<std::string> keys(const core::RenderContext& ctx) const override {
    std::vector<std::string> out;
    for (auto* o : ctx.objects.list({"test", "Middle"})) out.push_back(o->name());
    return out;
  }
  std::vector<std::string> keys_for(const core::RenderContext&, const Object& o) const override { return {o.name()}; }
  core::ModuleOutput reconcile(const core::RenderContext&, std::string_view key) const override {
    core::ModuleOutput out;
    out.objects.emplace_back("test/v1", "Final", "ns", std::string(key));
    out.statuses.push_back({{{"test", "Middle"}, "ns", std::string(key)}, {{"seen", true}}});
    return out;
  }
};

// Never settles: renders a counter that grows every round.
class Oscillator : public core::Module {
 public:
  std::string_view kind() const override { return "osc"; }
  std::vector<GroupKind> reads() const override { return {{"test", "Counter"}}; }
  std::vector<GroupKind> writes() const override { return {{"test", "Counter"}}; }
  core::Result<void> configure(const core::ModuleConfig&) override { return {}; }
  std::vector<std::string> keys(const core::RenderContext&) const override { return {"c"}; }
  std::vector<std::string> keys_for(const core::RenderContext&, const Object&) const override { return {"c"}; }
  core::ModuleOutput reconcile(const core::RenderContext& ctx, std::string_view) const override {
    const Object* prev = ctx.objects.get({{"test", "Counter"}, "ns", "c"});
    int n = prev ? prev->json()["spec"]["n"].get<int>() : 0;
    Object o("test/v1", "Counter", "ns", "c");
    o.json()["spec"]["n"] = n + 1;
    core::ModuleOutput out;
    out.objects.push_back(std::move(o));
    return out;
  }
};

TEST(Render, ChainsModulesToAFixedPoint) {
  std::vector<std::unique_ptr<core::Module>> modules;
  modules.push_back(std::make_unique<MiddleToFinal>());  // order must not matter
  modules.push_back(std::make_unique<SeedToMiddle>());
  std::vector<Object> inputs = {Object("test/v1", "Seed", "ns", "a"), Object("test/v1", "Seed", "ns", "bad")};
  core::NoMetrics metrics;
  auto r = render(inputs, modules, metrics);
  ASSERT_EQ(r.generated.size(), 2u);
  EXPECT_EQ(r.generated[0].kind(), "Final");
  EXPECT_EQ(r.generated[1].kind(), "Middle");
  EXPECT_EQ(r.generated[1].status()["seen"], true);  // status of a generated object
  ASSERT_EQ(r.problems.size(), 1u);                   // reported once, not once per round
  EXPECT_EQ(r.problems[0].str(), "Seed bad: spec.x: expected a number");
  EXPECT_EQ(r.rounds, 3);
}

TEST(Render, ReportsModulesThatNeverSettle) {
  std::vector<std::unique_ptr<core::Module>> modules;
  modules.push_back(std::make_unique<Oscillator>());
  core::NoMetrics metrics;
  RenderOptions options;
  options.max_rounds = 4;
  auto r = render({}, modules, metrics, options);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].message.find("fixed point"), std::string::npos);
  ASSERT_EQ(r.generated.size(), 1u);
  EXPECT_EQ(r.generated[0].json()["spec"]["n"], 4);
}

}  // namespace
}  // namespace slime::render

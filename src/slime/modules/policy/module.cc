// The policy module: one engine, whose whole behaviour comes from a definition (definition.h). Reconcile
// keys: "<namespace>/<name>" of every watched object the definition selects; a broken definition has the
// single key "definition", which reports its errors (so a broken policy never stops the others, and
// `slime render` and `slime run` both show where it is broken).
#include <memory>
#include <set>

#include "slime/core/kinds.h"
#include "slime/core/module.h"
#include "slime/modules/policy/definition.h"
#include "slime/modules/policy/evaluate.h"

namespace slime::policy {
namespace {

using core::GroupKind;
using core::Object;

constexpr const char* kBrokenKey = "definition";

class PolicyModule final : public core::Module {
 public:
  std::string_view kind() const override { return "policy"; }

  std::vector<GroupKind> reads() const override {
    if (!engine_) return {};
    auto out = writes();
    out.push_back(engine_->definition().watch.gvk.group_kind());
    return out;
  }
  std::vector<GroupKind> writes() const override { return engine_ ? engine_->writes() : std::vector<GroupKind>{}; }

  core::Result<void> configure(const core::ModuleConfig& config) override {
    errors_.clear();
    engine_.reset();
    // Without a config file every module runs with defaults; a policy without a definition then has
    // nothing to do, and nothing to complain about (a configured entry without one is reported).
    inert_ = config.raw.empty() && (!config.general.is_object() || config.general.empty());
    if (inert_) return {};
    Loaded loaded = load_definition(config);
    errors_ = std::move(loaded.errors);
    if (loaded.definition)
      engine_ = std::make_unique<Engine>(std::move(*loaded.definition), std::move(loaded.source), config.name,
                                         config.global.slime_namespace);
    return {};  // a broken definition is reported by its key, never by failing the whole configuration
  }

  std::vector<std::string> keys(const core::RenderContext& ctx) const override {
    if (inert_) return {};
    if (!engine_) return {kBrokenKey};
    std::vector<std::string> out;
    for (const Object* o : engine_->watched(ctx.objects)) out.push_back(o->ns() + "/" + o->name());
    return out;
  }

  std::vector<std::string> keys_for(const core::RenderContext&, const Object& changed) const override {
    if (!engine_) return {};
    if (changed.key().gk == engine_->definition().watch.gvk.group_kind())
      return {changed.ns() + "/" + changed.name()};  // also when it stops matching: its outputs go
    if (auto key = engine_->owner_key(changed)) return {*key};
    return {};
  }

  std::vector<core::MetricRequest> metric_requests(const core::RenderContext& ctx, std::string_view key) const override {
    const Object* o = engine_ ? engine_->object_for_key(ctx.objects, key) : nullptr;
    return o ? engine_->metric_requests(*o) : std::vector<core::MetricRequest>{};
  }

  std::chrono::milliseconds metric_refresh() const override {
    return engine_ ? engine_->definition().refresh : std::chrono::seconds(30);
  }

  core::ModuleOutput reconcile(const core::RenderContext& ctx, std::string_view key) const override {
    if (!engine_) {
      core::ModuleOutput out;
      if (key == kBrokenKey) out.problems = errors_;
      return out;
    }
    const Object* o = engine_->object_for_key(ctx.objects, key);
    if (!o) return {};
    return engine_->render(ctx, *o);
  }

 private:
  std::unique_ptr<Engine> engine_;
  std::vector<core::Error> errors_;
  bool inert_ = false;
};

}  // namespace

std::unique_ptr<core::Module> make_module() { return std::make_unique<PolicyModule>(); }

}  // namespace slime::policy

// The canary module: CanaryRelease -> a DestinationRule (one subset per version) and a weighted
// VirtualService for the host, moved step by step by the release's analysis (state.h), or by a version
// traffic split's metric expression (split.h). One reconcile key per release: "CanaryRelease/<ns>/<name>".
#include <memory>

#include "slime/core/fields.h"
#include "slime/core/kinds.h"
#include "slime/core/module.h"
#include "slime/modules/canary/analysis.h"
#include "slime/modules/canary/model.h"
#include "slime/modules/canary/routes.h"
#include "slime/modules/canary/split.h"
#include "slime/modules/canary/state.h"

namespace slime::canary {
namespace {

using core::GroupKind;
using core::Object;

const GroupKind kCanaryReleaseGk{kGroup, kKind};
constexpr std::string_view kKeyPrefix = "CanaryRelease/";

std::string release_key(std::string_view ns, std::string_view name) {
  return std::string(kKeyPrefix) + std::string(ns) + "/" + std::string(name);
}

const Object* release_for_key(const core::Snapshot& snap, std::string_view key) {
  if (!key.starts_with(kKeyPrefix)) return nullptr;
  key.remove_prefix(kKeyPrefix.size());
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return nullptr;
  return snap.get({kCanaryReleaseGk, std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))});
}

bool deleting(const Object& o) {
  const core::Json& meta = o.json().contains("metadata") ? o.json()["metadata"] : core::Json();
  return meta.is_object() && meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
}

class CanaryModule final : public core::Module {
 public:
  std::string_view kind() const override { return "canary"; }
  std::vector<GroupKind> reads() const override {
    return {kCanaryReleaseGk, core::kVirtualServiceGk, core::kDestinationRuleGk};
  }
  std::vector<GroupKind> writes() const override { return {core::kVirtualServiceGk, core::kDestinationRuleGk}; }

  core::Result<void> configure(const core::ModuleConfig& config) override {
    warnings_.clear();
    core::FieldReader r(config.general, "general");
    if (!r.ok()) return std::unexpected(r.unknown_fields().front());
    auto refresh = r.string("refresh", "10s");
    if (!refresh) return std::unexpected(refresh.error());
    auto d = parse_duration(*refresh);
    if (!d) return core::fail(d.error().message, r.child("refresh"));
    if (*d < std::chrono::milliseconds(100)) return core::fail("expected at least 100ms", r.child("refresh"));
    refresh_ = *d;
    warnings_ = r.unknown_fields();
    return {};
  }
  std::vector<core::Error> config_warnings() const override { return warnings_; }

  std::vector<std::string> keys(const core::RenderContext& ctx) const override {
    std::vector<std::string> out;
    for (const Object* r : ctx.objects.list(kCanaryReleaseGk)) out.push_back(release_key(r->ns(), r->name()));
    return out;
  }

  std::vector<std::string> keys_for(const core::RenderContext& ctx, const Object& changed) const override {
    if (changed.key().gk == kCanaryReleaseGk) return {release_key(changed.ns(), changed.name())};
    // A route of ours (restored when edited or deleted; its being live moves Initializing, Promoting and
    // RollingBack on), or someone else's rule that may conflict with the releases of its namespace.
    std::vector<std::string> out;
    for (const Object* r : ctx.objects.list(kCanaryReleaseGk, changed.ns())) out.push_back(release_key(r->ns(), r->name()));
    return out;
  }

  std::vector<core::MetricRequest> metric_requests(const core::RenderContext& ctx, std::string_view key) const override {
    const Object* obj = release_for_key(ctx.objects, key);
    if (!obj || deleting(*obj)) return {};
    auto cr = parse_canary_release(*obj);
    if (!cr) return {};
    if (cr->is_split) return split_requests(cr->split, cr->ns);
    const core::Json& st = obj->status();
    std::string phase = st.is_object() && st.contains("phase") && st["phase"].is_string() ? st["phase"].get<std::string>() : "";
    if (!analyses_in(phase)) return {};
    return analysis_requests(cr->release, cr->ns);
  }

  std::chrono::milliseconds metric_refresh() const override { return refresh_; }

  core::ModuleOutput reconcile(const core::RenderContext& ctx, std::string_view key) const override {
    core::ModuleOutput out;
    const Object* obj = release_for_key(ctx.objects, key);
    if (!obj || deleting(*obj)) return out;
    auto cr = parse_canary_release(*obj);
    if (!cr) {
      out.problems.push_back(std::move(cr.error()));
      return out;
    }
    std::string service = cr->is_split ? cr->split.service : cr->release.service;
    auto conflict = find_conflict(ctx.objects, *obj, service);
    if (cr->is_split) {
      SplitOutcome s = advance_split(*obj, cr->split, ctx.metrics, conflict, ctx.now);
      if (s.write_routes) out.objects = render_routes(*obj, service, cr->split.subsets, s.weights);
      out.statuses.push_back({obj->key(), std::move(s.status)});
      out.events = std::move(s.events);
      return out;
    }
    const Release& rel = cr->release;
    Observed observed{live_weights(ctx.objects, *obj), conflict};
    Outcome o = advance_release(*obj, rel, ctx.metrics, observed, ctx.now);
    if (o.write_routes)
      out.objects = render_routes(*obj, service, {rel.stable, rel.canary},
                                  {{rel.stable.name, 100 - o.canary_weight}, {rel.canary.name, o.canary_weight}});
    out.statuses.push_back({obj->key(), std::move(o.status)});
    out.events = std::move(o.events);
    out.revisit_at = o.revisit_at;
    return out;
  }

 private:
  std::chrono::milliseconds refresh_{10000};
  std::vector<core::Error> warnings_;
};

}  // namespace

std::unique_ptr<core::Module> make_module() { return std::make_unique<CanaryModule>(); }

}  // namespace slime::canary

// The boot module: SlimeBoot -> the objects that run Slime (framework spec §C).
//
// One reconcile key per SlimeBoot, "<namespace>/<name>". The key owns everything rendered for that
// SlimeBoot, so the driver applies it, prunes what an update no longer renders, and removes it all when
// the SlimeBoot is deleted (the key disappears). Each object carries the annotation
// `slime.io/slimeboot: <namespace>/<name>` so an edit to it maps back to its SlimeBoot, and so that
// `slime run` can find and delete them through cleanup() (finalizer) even after a restart.
#include <algorithm>
#include <memory>
#include <optional>
#include <tuple>

#include "slime/core/fields.h"
#include "slime/core/module.h"
#include "slime/modules/boot/manifests.h"
#include "slime/modules/boot/names.h"
#include "slime/modules/boot/slimeboot.h"
#include "slime/modules/boot/status.h"

namespace slime::boot {
namespace {

using core::GroupKind;
using core::Json;
using core::ModuleOutput;
using core::RenderContext;

std::string key_of(const core::Object& o) { return o.ns() + "/" + o.name(); }

bool being_deleted(const core::Object& o) {
  auto meta = o.json().find("metadata");
  if (meta == o.json().end() || !meta->is_object()) return false;
  auto ts = meta->find("deletionTimestamp");
  return ts != meta->end() && !ts->is_null();
}

core::Result<BootOptions> parse_options(const core::ModuleConfig& config, std::vector<core::Error>& warnings) {
  BootOptions o;
  core::FieldReader r(config.general, "general");
  if (!r.ok()) return core::fail("expected a mapping", "general");
  if (const Json* img = r.get("image")) {
    core::FieldReader ir(*img, r.child("image"));
    if (!ir.ok()) return core::fail("expected a mapping", ir.path());
    auto repo = ir.string("repository", o.image.repository);
    auto tag = ir.string("tag", ir.has("repository") ? "" : o.image.tag);
    auto policy = ir.string("pullPolicy", o.image.pull_policy);
    if (!repo) return std::unexpected(repo.error());
    if (!tag) return std::unexpected(tag.error());
    if (!policy) return std::unexpected(policy.error());
    o.image = {*repo, *tag, *policy};
    for (auto& w : ir.unknown_fields()) warnings.push_back(w);
  }
  auto binary = r.string("binary", o.binary);
  auto role = r.string("clusterRole", o.cluster_role);
  auto preview = r.boolean("renderGlobalSidecar", o.render_global_sidecar);
  if (!binary) return std::unexpected(binary.error());
  if (!role) return std::unexpected(role.error());
  if (!preview) return std::unexpected(preview.error());
  o.binary = *binary;
  o.cluster_role = *role;
  o.render_global_sidecar = *preview;
  for (auto& w : r.unknown_fields()) warnings.push_back(w);
  return o;
}

class BootModule final : public core::Module {
 public:
  std::string_view kind() const override { return "boot"; }

  std::vector<GroupKind> reads() const override { return {kSlimeBootGk}; }
  std::vector<GroupKind> writes() const override {
    std::vector<GroupKind> out = {kConfigMapGk, kDeploymentGk, kServiceGk, kServiceAccountGk, kClusterRoleBindingGk};
    if (options_.render_global_sidecar)
      out.insert(out.end(), {kRoleGk, kRoleBindingGk, kClusterRoleGk, kEnvoyFilterGk, kDestinationRuleGk});
    return out;
  }

  core::Result<void> configure(const core::ModuleConfig& config) override {
    warnings_.clear();
    auto o = parse_options(config, warnings_);
    if (!o) return std::unexpected(o.error());
    options_ = std::move(*o);
    return {};
  }
  std::vector<core::Error> config_warnings() const override { return warnings_; }
  void set_catalog(std::vector<core::ModuleInfo> catalog) override { catalog_ = std::move(catalog); }

  std::vector<std::string> keys(const RenderContext& ctx) const override {
    std::vector<std::string> out;
    for (const auto* sb : ctx.objects.list(kSlimeBootGk)) out.push_back(key_of(*sb));
    return out;
  }

  std::vector<std::string> keys_for(const RenderContext& ctx, const core::Object& changed) const override {
    if (changed.key().gk == kSlimeBootGk) {
      // Which SlimeBoot deploys a contested name depends on all of them (see claim_conflicts).
      std::vector<std::string> out = {key_of(changed)};
      for (const auto* sb : ctx.objects.list(kSlimeBootGk))
        if (key_of(*sb) != out.front()) out.push_back(key_of(*sb));
      return out;
    }
    // An edited or deleted rendered object: re-render its SlimeBoot, which puts it back.
    if (auto owner = changed.annotation(kOwnerAnnotation); !owner.empty()) return {owner};
    return {};
  }

  std::optional<core::Cleanup> cleanup() const override {
    return core::Cleanup{kSlimeBootGk, std::string(kCleanupFinalizer), std::string(kOwnerAnnotation)};
  }

  ModuleOutput reconcile(const RenderContext& ctx, std::string_view key) const override {
    ModuleOutput out;
    auto slash = key.find('/');
    if (slash == std::string_view::npos) return out;
    core::ObjectKey sb_key{kSlimeBootGk, std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
    const core::Object* sb = ctx.objects.get(sb_key);
    if (!sb) return out;  // deleted: rendering nothing prunes everything it had
    if (being_deleted(*sb)) return out;  // the same while its finalizer holds the delete

    auto parsed = parse_slimeboot_spec(sb->spec());
    if (!parsed) {
      out.problems.push_back(std::move(parsed.error()).in_object(sb->ref()));
      // A typo in an update must not uninstall Slime: keep what is running until the spec is fixed.
      out.objects = live_objects(ctx, std::string(key));
      out.statuses.push_back({sb->key(), failed_status(*sb, out.problems.back(), ctx.now)});
      return out;
    }
    // Unknown keys are reported in the status, not as problems: the original ignored them, and a
    // SlimeBoot written for it must still install.
    std::vector<std::string> notes;
    for (const auto& w : parsed->warnings) notes.push_back(w.field + ": " + w.message);

    claim_conflicts(ctx, *sb, parsed->spec, out.problems);
    check_kinds(*sb, parsed->spec, out.problems);
    auto rendered = render_slimeboot(parsed->spec, options_, std::string(key));
    out.objects = std::move(rendered.objects);
    for (auto& p : rendered.problems) out.problems.push_back(std::move(p).in_object(sb->ref()));
    notes.insert(notes.end(), rendered.notes.begin(), rendered.notes.end());
    out.statuses.push_back({sb->key(), deployed_status(*sb, out.objects, notes, out.problems, ctx.now)});
    return out;
  }

 private:
  // Two SlimeBoots deploying a module of the same name into the same namespace would fight over one
  // Deployment. The older SlimeBoot (creationTimestamp, then namespace/name) keeps it; the newer one
  // reports the clash and leaves that entry out.
  static void claim_conflicts(const RenderContext& ctx, const core::Object& self, SlimeBootSpec& spec,
                              std::vector<core::Error>& problems) {
    auto rank = [](const core::Object& o) {
      // Unset sorts last; RFC 3339 UTC timestamps sort by time.
      std::string ts = "~";
      if (auto meta = o.json().find("metadata"); meta != o.json().end() && meta->is_object())
        if (auto t = meta->find("creationTimestamp"); t != meta->end() && t->is_string()) ts = t->get<std::string>();
      return std::make_tuple(ts, o.ns(), o.name());
    };
    auto my_rank = rank(self);
    for (const auto* other : ctx.objects.list(kSlimeBootGk)) {
      if (other->key() == self.key() || !(rank(*other) < my_rank)) continue;
      auto theirs = parse_slimeboot_spec(other->spec());
      if (!theirs || theirs->spec.namespace_ != spec.namespace_) continue;
      for (auto& e : spec.modules) {
        if (!e.rendered()) continue;
        for (const auto& t : theirs->spec.modules) {
          if (!t.rendered() || t.config.name != e.config.name) continue;
          core::Error err;
          err.message = "module '" + e.config.name + "' in namespace " + spec.namespace_ +
                        " is already deployed by " + other->ref() + "; this entry is left out";
          err.field = e.path + ".name";
          err.object = self.ref();
          problems.push_back(std::move(err));
          e.config.enable = false;
          break;
        }
      }
    }
  }

  // An entry whose module kind our image lacks would run a pod that does nothing: report it (the
  // SlimeBoot's Deployed condition turns False) and leave a plain entry out. A bundle still deploys for
  // its other items; its process then reports the missing kind on /readyz and never turns ready.
  void check_kinds(const core::Object& self, SlimeBootSpec& spec, std::vector<core::Error>& problems) const {
    if (catalog_.empty()) return;  // created outside the registry: nothing to check against
    std::string known;
    for (const auto& m : catalog_) known += (known.empty() ? "" : ", ") + m.kind;
    for (auto& e : spec.modules) {
      if (e.is_bundle() || !e.config.enable) continue;
      std::string kind = e.config.effective_kind();
      bool found = std::any_of(catalog_.begin(), catalog_.end(), [&](const auto& m) { return m.kind == kind; });
      if (found) continue;
      core::Error err;
      err.message = "module kind '" + kind + "' is not part of this image (it has: " + known + ")" +
                    (e.rendered() ? "; this entry is left out" : "");
      err.field = e.path + (e.config.kind.empty() ? ".name" : ".kind");
      err.object = self.ref();
      problems.push_back(std::move(err));
      if (e.rendered()) e.config.enable = false;
    }
  }

  std::vector<core::Object> live_objects(const RenderContext& ctx, const std::string& key) const {
    std::vector<core::Object> out;
    for (const auto& gk : writes())
      for (const auto* o : ctx.objects.list(gk))
        if (o->annotation(kOwnerAnnotation) == key) out.push_back(desired_part(*o));
    return out;
  }

  BootOptions options_;
  std::vector<core::Error> warnings_;
  std::vector<core::ModuleInfo> catalog_;
};

}  // namespace

std::unique_ptr<core::Module> make_module() { return std::make_unique<BootModule>(); }

}  // namespace slime::boot

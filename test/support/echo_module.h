#pragma once
// A tiny module for runtime tests, so the controller runtime is tested without depending on the
// real modules' rules:
//  - ConfigMap labelled slime-test/echo=true  ->  ConfigMap "<name>-copy" with the same data, an
//    ownerReference to the source, label slime-test/copy-of=<name>;
//    a source whose data has key "invalid" is reported as a problem and renders nothing;
//  - Widget (test.slime.io/v1)  ->  status {observedSize: spec.size}.
#include <string>
#include <vector>

#include "slime/core/module.h"

namespace slime::testing {

class EchoModule final : public core::Module {
 public:
  static inline const core::GroupKind kConfigMap{"", "ConfigMap"};
  static inline const core::GroupKind kWidget{"test.slime.io", "Widget"};

  std::string_view kind() const override { return "echo"; }
  std::vector<core::GroupKind> reads() const override { return {kConfigMap, kWidget}; }
  std::vector<core::GroupKind> writes() const override { return {kConfigMap}; }
  core::Result<void> configure(const core::ModuleConfig&) override { return {}; }

  std::vector<std::string> keys(const core::RenderContext& ctx) const override {
    std::vector<std::string> out;
    for (const auto* o : ctx.objects.list(kConfigMap))
      if (o->label("slime-test/echo") == "true") out.push_back("cm:" + o->ns() + "/" + o->name());
    for (const auto* o : ctx.objects.list(kWidget)) out.push_back("widget:" + o->ns() + "/" + o->name());
    return out;
  }

  std::vector<std::string> keys_for(const core::RenderContext&, const core::Object& changed) const override {
    auto gk = changed.key().gk;
    if (gk == kWidget) return {"widget:" + changed.ns() + "/" + changed.name()};
    if (gk != kConfigMap) return {};
    if (changed.label("slime-test/echo") == "true") return {"cm:" + changed.ns() + "/" + changed.name()};
    if (auto src = changed.label("slime-test/copy-of"); !src.empty()) return {"cm:" + changed.ns() + "/" + src};
    return {};
  }

  core::ModuleOutput reconcile(const core::RenderContext& ctx, std::string_view key) const override {
    core::ModuleOutput out;
    auto colon = key.find(':');
    auto slash = key.find('/');
    if (colon == std::string_view::npos || slash == std::string_view::npos) return out;
    std::string type(key.substr(0, colon)), ns(key.substr(colon + 1, slash - colon - 1)), name(key.substr(slash + 1));
    if (type == "widget") {
      const auto* w = ctx.objects.get({kWidget, ns, name});
      if (!w) return out;
      core::Json size = w->spec().is_object() ? w->spec().value("size", core::Json()) : core::Json();
      out.statuses.push_back({w->key(), {{"observedSize", size}}});
      return out;
    }
    const auto* src = ctx.objects.get({kConfigMap, ns, name});
    if (!src || src->label("slime-test/echo") != "true") return out;
    const core::Json& data = src->json().contains("data") ? src->json()["data"] : core::Json::object();
    if (data.is_object() && data.contains("invalid")) {
      core::Error e;
      e.object = src->ref();
      e.field = "data.invalid";
      e.message = "the echo module refuses key 'invalid'";
      out.problems.push_back(std::move(e));
      return out;
    }
    core::Object copy("v1", "ConfigMap", ns, name + "-copy");
    copy.set_label("slime-test/copy-of", name);
    copy.json()["data"] = data.is_object() ? data : core::Json::object();
    if (!src->uid().empty()) copy.add_owner(*src);
    out.objects.push_back(std::move(copy));
    return out;
  }
};

}  // namespace slime::testing

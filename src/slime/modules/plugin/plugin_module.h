#pragma once
// The plugin module: PluginManager and EnvoyPlugin resources -> Istio EnvoyFilters, one reconcile key
// per resource ("PluginManager/<ns>/<name>", "EnvoyPlugin/<ns>/<name>").
#include <memory>
#include <string>
#include <vector>

#include "slime/core/module.h"
#include "slime/modules/plugin/plugin_config.h"

namespace slime::plugin {

class PluginModule final : public core::Module {
 public:
  std::string_view kind() const override { return "plugin"; }
  std::vector<core::GroupKind> reads() const override;
  std::vector<core::GroupKind> writes() const override;
  std::vector<core::ReferencedKind> referenced_only() const override;
  std::vector<core::ObjectKey> references(const core::Object& from) const override;
  core::Result<void> configure(const core::ModuleConfig& config) override;
  std::vector<core::Error> config_warnings() const override { return warnings_; }
  std::vector<std::string> keys(const core::RenderContext& ctx) const override;
  std::vector<std::string> keys_for(const core::RenderContext& ctx, const core::Object& changed) const override;
  core::ModuleOutput reconcile(const core::RenderContext& ctx, std::string_view key) const override;

  const PluginConfig& config() const { return config_; }

 private:
  core::ModuleOutput reconcile_key(const core::RenderContext& ctx, std::string_view key) const;
  void collect_keys_for(const core::RenderContext& ctx, const core::Object& changed, std::vector<std::string>& out) const;

  PluginConfig config_;
  std::vector<core::Error> warnings_;
};

std::unique_ptr<core::Module> make_module();

}  // namespace slime::plugin

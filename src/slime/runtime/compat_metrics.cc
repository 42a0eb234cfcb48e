#include "slime/runtime/compat_metrics.h"

#include <algorithm>
#include <cctype>

namespace slime::runtime {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

CompatMetrics::CompatMetrics(Metrics& metrics, std::string module_kind)
    : metrics_(metrics), module_(std::move(module_kind)) {
  const char* help = "Compatibility with the original's metric of the same name (an up-down counter).";
  auto gauge = [&](const std::string& name) { metrics_.describe(name, Metrics::Type::kGauge, help); };
  if (module_ == "lazyload") {
    for (const char* kind : {"sidecar", "servicefence"}) {
      for (const char* suffix : {"_creations", "_failed_creations", "_refreshes"}) gauge("lazyload_" + std::string(kind) + suffix);
    }
    gauge("lazyload_servicefence_deletions");
    gauge("lazyload_update_extra_resource_failed");
  } else if (module_ == "limiter") {
    for (const char* name : {"limiter_reconciles", "limiter_validations_failed", "limiter_envoyfilter_creations",
                             "limiter_envoyfilter_creations_failed", "limiter_envoyfilter_refreshes",
                             "limiter_envoyfilter_deletions"})
      gauge(name);
  } else if (module_ == "plugin") {
    for (const char* name : {"plugin_envoyplugin_reconciles", "plugin_envoyplugin_reconciles_failed",
                             "plugin_pluginmanager_reconciles", "plugin_pluginmanager_reconciles_failed",
                             "plugin_envoyfilter_creations", "plugin_envoyfilter_creations_failed",
                             "plugin_envoyfilter_refreshes"})
      gauge(name);
  }
}

void CompatMetrics::write(WriteOp op, const std::string& kind, const std::string& ns, const std::string& name, bool ok) {
  std::string k = lower(kind);
  if (module_ == "lazyload" && k != "sidecar" && k != "servicefence") {
    // Global-sidecar objects and filters: the original counted only their failures.
    if (!ok) metrics_.inc("lazyload_update_extra_resource_failed");
    return;
  }
  if (module_ != "lazyload" && k != "envoyfilter") return;
  std::string base = module_ + "_" + k;
  // The plugin module labelled its EnvoyFilter counters with the resource name.
  Labels labels;
  if (module_ == "plugin") labels = {{"resourceName", ns.empty() ? name : ns + "/" + name}};
  switch (op) {
    case WriteOp::kCreate:
      if (ok) metrics_.inc(base + "_creations", labels);
      else metrics_.inc(module_ == "lazyload" ? base + "_failed_creations" : base + "_creations_failed", labels);
      break;
    case WriteOp::kUpdate:
      if (ok) metrics_.inc(base + "_refreshes", labels);
      break;
    case WriteOp::kDelete:
      if (ok && module_ != "plugin") metrics_.inc(base + "_deletions");
      break;
  }
}

void CompatMetrics::reconcile(const std::string& key, bool ok) {
  if (module_ == "limiter") {
    if (key.starts_with("SmartLimiter/")) metrics_.inc("limiter_reconciles");
    return;
  }
  if (module_ != "plugin") return;
  auto slash = key.find('/');
  if (slash == std::string::npos) return;
  std::string kind = lower(key.substr(0, slash));
  if (kind != "envoyplugin" && kind != "pluginmanager") return;
  metrics_.inc("plugin_" + kind + (ok ? "_reconciles" : "_reconciles_failed"));
}

void CompatMetrics::problems(size_t n) {
  if (module_ == "limiter" && n > 0) metrics_.inc("limiter_validations_failed", {}, static_cast<double>(n));
}

}  // namespace slime::runtime

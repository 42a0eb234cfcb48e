// The original's metric names, derived from controller activity.
#include "slime/runtime/compat_metrics.h"

#include <gtest/gtest.h>

namespace slime::runtime {
namespace {

TEST(CompatMetrics, LazyloadCountsSidecarAndFenceWritesUnderTheOriginalNames) {
  Metrics m;
  CompatMetrics c(m, "lazyload");
  c.write(WriteOp::kCreate, "Sidecar", "default", "productpage", true);
  c.write(WriteOp::kUpdate, "Sidecar", "default", "productpage", true);
  c.write(WriteOp::kCreate, "ServiceFence", "default", "reviews", false);
  c.write(WriteOp::kDelete, "ServiceFence", "default", "reviews", true);
  c.write(WriteOp::kUpdate, "EnvoyFilter", "mesh-operator", "to-global-sidecar", false);
  EXPECT_EQ(m.value("lazyload_sidecar_creations"), 1);
  EXPECT_EQ(m.value("lazyload_sidecar_refreshes"), 1);
  EXPECT_EQ(m.value("lazyload_servicefence_failed_creations"), 1);
  EXPECT_EQ(m.value("lazyload_servicefence_deletions"), 1);
  EXPECT_EQ(m.value("lazyload_update_extra_resource_failed"), 1);
  EXPECT_NE(m.render().find("# TYPE lazyload_sidecar_creations gauge"), std::string::npos);
}

TEST(CompatMetrics, LimiterAndPluginReconcilesAndFilters) {
  Metrics m;
  CompatMetrics limiter(m, "limiter"), plugin(m, "plugin");
  limiter.reconcile("SmartLimiter/default/reviews", true);
  limiter.reconcile("ratelimit-config", true);  // the shared ConfigMap is not a SmartLimiter reconcile
  limiter.problems(2);
  limiter.write(WriteOp::kCreate, "EnvoyFilter", "default", "reviews.default.ratelimit", false);
  limiter.write(WriteOp::kDelete, "EnvoyFilter", "default", "reviews.default.ratelimit", true);
  plugin.reconcile("PluginManager/default/pm", true);
  plugin.reconcile("EnvoyPlugin/default/ep", false);
  plugin.write(WriteOp::kUpdate, "EnvoyFilter", "default", "pm", true);
  EXPECT_EQ(m.value("limiter_reconciles"), 1);
  EXPECT_EQ(m.value("limiter_validations_failed"), 2);
  EXPECT_EQ(m.value("limiter_envoyfilter_creations_failed"), 1);
  EXPECT_EQ(m.value("limiter_envoyfilter_deletions"), 1);
  EXPECT_EQ(m.value("plugin_pluginmanager_reconciles"), 1);
  EXPECT_EQ(m.value("plugin_envoyplugin_reconciles_failed"), 1);
  EXPECT_EQ(m.value("plugin_envoyfilter_refreshes", {{"resourceName", "default/pm"}}), 1);
}

}  // namespace
}  // namespace slime::runtime

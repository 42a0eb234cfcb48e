// The per-kind ClusterRoles are derived from the module contract (reads/writes/cleanup), not written by hand.
#include <gtest/gtest.h>

#include "slime/core/kinds.h"
#include "slime/modules/boot/rbac.h"

namespace slime::boot {
namespace {

using core::GroupKind;
using core::Json;

// The verbs of `role` on group/resource (a resource appears in at most one rule per group).
std::vector<std::string> verbs(const core::Object& role, const std::string& group, const std::string& resource) {
  for (const auto& rule : role.json()["rules"])
    if (rule["apiGroups"][0] == group)
      for (const auto& r : rule["resources"])
        if (r == resource) return rule["verbs"].get<std::vector<std::string>>();
  return {};
}

TEST(Rbac, ResourceNamesFollowKubernetesPlurals) {
  EXPECT_EQ(resource_name({"networking.istio.io", "ServiceEntry"}), "serviceentries");
  EXPECT_EQ(resource_name({"", "Endpoints"}), "endpoints");
  EXPECT_EQ(resource_name({"microservice.slime.io", "SmartLimiter"}), "smartlimiters");
  EXPECT_EQ(resource_name({"rbac.authorization.k8s.io", "ClusterRoleBinding"}), "clusterrolebindings");
}

TEST(Rbac, AModuleGetsWhatItReadsAndWritesAndWhatEveryProcessNeeds) {
  core::ModuleInfo limiter{"limiter",
                           {{"microservice.slime.io", "SmartLimiter"}, core::kPodGk, core::kConfigMapGk},
                           {core::kEnvoyFilterGk, core::kConfigMapGk},
                           std::nullopt};
  auto role = module_cluster_role(limiter, {limiter}, "slime");
  EXPECT_EQ(role.name(), "slime-limiter");
  EXPECT_EQ(role.kind(), "ClusterRole");
  const std::vector<std::string> read{"get", "list", "watch"};
  const std::vector<std::string> write{"get", "list", "watch", "create", "update", "patch", "delete"};
  EXPECT_EQ(verbs(role, "microservice.slime.io", "smartlimiters"), read);
  EXPECT_EQ(verbs(role, "microservice.slime.io", "smartlimiters/status"),
            (std::vector<std::string>{"get", "update", "patch"}));
  EXPECT_EQ(verbs(role, "networking.istio.io", "envoyfilters"), write);
  EXPECT_EQ(verbs(role, "", "configmaps"), write);  // read and written: the union
  EXPECT_EQ(verbs(role, "", "pods"), (std::vector<std::string>{"get", "list", "watch", "patch"}));
  EXPECT_EQ(verbs(role, "coordination.k8s.io", "leases"), (std::vector<std::string>{"get", "create", "update"}));
  EXPECT_EQ(verbs(role, "", "events"), (std::vector<std::string>{"create", "patch"}));
  EXPECT_TRUE(verbs(role, "", "secrets").empty());
  EXPECT_TRUE(verbs(role, "networking.istio.io", "sidecars").empty());
  EXPECT_TRUE(verbs(role, "rbac.authorization.k8s.io", "clusterroles").empty());
}

TEST(Rbac, BootMayBindExactlyTheOtherKindsRolesAndPatchItsFinalizer) {
  core::ModuleInfo boot{"boot", {{"config.netease.com", "SlimeBoot"}}, {core::kClusterRoleBindingGk},
                        GroupKind{"config.netease.com", "SlimeBoot"}};
  core::ModuleInfo plugin{"plugin", {core::kSecretGk}, {core::kEnvoyFilterGk}, std::nullopt};
  auto roles = module_cluster_roles({boot, plugin}, "slime");
  ASSERT_EQ(roles.size(), 2u);
  EXPECT_EQ(verbs(roles[0], "config.netease.com", "slimeboots"), (std::vector<std::string>{"get", "list", "watch", "patch"}));
  Json bind;
  for (const auto& rule : roles[0].json()["rules"])
    if (rule.contains("resourceNames")) bind = rule;
  EXPECT_EQ(bind["resourceNames"], Json::array({"slime-plugin"}));
  EXPECT_EQ(bind["verbs"], Json::array({"bind"}));
  EXPECT_EQ(verbs(roles[1], "", "secrets"), (std::vector<std::string>{"get", "list", "watch"}));
  for (const auto& rule : roles[1].json()["rules"]) EXPECT_FALSE(rule.contains("resourceNames"));
}

}  // namespace
}  // namespace slime::boot

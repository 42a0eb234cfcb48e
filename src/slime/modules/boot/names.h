#pragma once
// Wire names of the boot module: the SlimeBoot kind and the kinds it writes.
#include <string_view>

#include "slime/core/gvk.h"
#include "slime/core/kinds.h"

namespace slime::boot {

inline const core::GroupKind kSlimeBootGk{"config.netease.com", "SlimeBoot"};
// The standard kinds it writes (Role, RoleBinding, ClusterRole, EnvoyFilter and DestinationRule only in
// global-sidecar previews), from core/kinds.h.
using core::kConfigMapGk;
using core::kServiceGk;
using core::kServiceAccountGk;
using core::kDeploymentGk;
using core::kClusterRoleBindingGk;
using core::kRoleGk;
using core::kRoleBindingGk;
using core::kClusterRoleGk;
using core::kEnvoyFilterGk;
using core::kDestinationRuleGk;

// On every object boot renders: the "<namespace>/<name>" of its SlimeBoot.
inline constexpr std::string_view kOwnerAnnotation = "slime.io/slimeboot";
// Kept on every SlimeBoot in operator mode: its objects are deleted before the SlimeBoot is.
inline constexpr std::string_view kCleanupFinalizer = "slime.io/slimeboot-cleanup";

}  // namespace slime::boot

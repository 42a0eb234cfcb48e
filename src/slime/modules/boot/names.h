#pragma once
// Wire names of the boot module: the SlimeBoot kind and the kinds it writes.
#include <string_view>

#include "slime/core/gvk.h"

namespace slime::boot {

inline const core::GroupKind kSlimeBootGk{"config.netease.com", "SlimeBoot"};
inline const core::GroupKind kConfigMapGk{"", "ConfigMap"};
inline const core::GroupKind kServiceGk{"", "Service"};
inline const core::GroupKind kServiceAccountGk{"", "ServiceAccount"};
inline const core::GroupKind kDeploymentGk{"apps", "Deployment"};
inline const core::GroupKind kClusterRoleBindingGk{"rbac.authorization.k8s.io", "ClusterRoleBinding"};
// Global sidecar previews only (renderGlobalSidecar).
inline const core::GroupKind kRoleGk{"rbac.authorization.k8s.io", "Role"};
inline const core::GroupKind kRoleBindingGk{"rbac.authorization.k8s.io", "RoleBinding"};
inline const core::GroupKind kClusterRoleGk{"rbac.authorization.k8s.io", "ClusterRole"};
inline const core::GroupKind kEnvoyFilterGk{"networking.istio.io", "EnvoyFilter"};
inline const core::GroupKind kDestinationRuleGk{"networking.istio.io", "DestinationRule"};

// On every object boot renders: the "<namespace>/<name>" of its SlimeBoot.
inline constexpr std::string_view kOwnerAnnotation = "slime.io/slimeboot";
// Kept on every SlimeBoot in operator mode: its objects are deleted before the SlimeBoot is.
inline constexpr std::string_view kCleanupFinalizer = "slime.io/slimeboot-cleanup";

}  // namespace slime::boot

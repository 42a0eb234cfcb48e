#pragma once
// Wire names of the lazyload module: kinds, label keys, object names. They are interface facts shared with
// the original (spec §10), so they live in one place.
#include <string_view>

#include "slime/core/gvk.h"

namespace slime::lazyload {

inline const core::GroupKind kServiceFenceGk{"microservice.slime.io", "ServiceFence"};
inline const core::GroupKind kSidecarGk{"networking.istio.io", "Sidecar"};
inline const core::GroupKind kVirtualServiceGk{"networking.istio.io", "VirtualService"};
inline const core::GroupKind kServiceEntryGk{"networking.istio.io", "ServiceEntry"};
inline const core::GroupKind kEnvoyFilterGk{"networking.istio.io", "EnvoyFilter"};
inline const core::GroupKind kDestinationRuleGk{"networking.istio.io", "DestinationRule"};
inline const core::GroupKind kServiceGk{"", "Service"};
inline const core::GroupKind kEndpointsGk{"", "Endpoints"};
inline const core::GroupKind kNamespaceGk{"", "Namespace"};
inline const core::GroupKind kPodGk{"", "Pod"};
inline const core::GroupKind kConfigMapGk{"", "ConfigMap"};
inline const core::GroupKind kServiceAccountGk{"", "ServiceAccount"};
inline const core::GroupKind kDeploymentGk{"apps", "Deployment"};
inline const core::GroupKind kRoleGk{"rbac.authorization.k8s.io", "Role"};
inline const core::GroupKind kRoleBindingGk{"rbac.authorization.k8s.io", "RoleBinding"};
inline const core::GroupKind kClusterRoleGk{"rbac.authorization.k8s.io", "ClusterRole"};
inline const core::GroupKind kClusterRoleBindingGk{"rbac.authorization.k8s.io", "ClusterRoleBinding"};

inline constexpr std::string_view kServiceFenceApiVersion = "microservice.slime.io/v1alpha1";
inline constexpr std::string_view kSidecarApiVersion = "networking.istio.io/v1alpha3";

// Labels.
inline constexpr std::string_view kCreatedByLabel = "app.kubernetes.io/created-by";
inline constexpr std::string_view kCreatedByValue = "fence-controller";
inline constexpr std::string_view kRevLabel = "istio.io/rev";
inline constexpr std::string_view kServiceFencedLabel = "slime.io/serviceFenced";

// The global sidecar.
inline constexpr std::string_view kGlobalSidecar = "global-sidecar";
inline constexpr std::string_view kToGlobalSidecar = "to-global-sidecar";
inline constexpr std::string_view kAccessLogSource = "lazyload-accesslog-source";

// Reconcile key prefixes.
inline constexpr std::string_view kFenceKeyPrefix = "fence/";
inline constexpr std::string_view kAutoFenceKeyPrefix = "autofence/";
inline constexpr std::string_view kWorkloadKeyPrefix = "workload/";
inline constexpr std::string_view kGlobalSidecarKey = "global-sidecar";

}  // namespace slime::lazyload

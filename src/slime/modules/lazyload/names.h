#pragma once
// Wire names of the lazyload module: kinds, label keys, object names. They are interface facts shared with
// the original (spec §10), so they live in one place.
#include <string_view>

#include "slime/core/gvk.h"
#include "slime/core/kinds.h"

namespace slime::lazyload {

inline const core::GroupKind kServiceFenceGk{"microservice.slime.io", "ServiceFence"};
// The standard kinds, from core/kinds.h.
using core::kSidecarGk;
using core::kVirtualServiceGk;
using core::kServiceEntryGk;
using core::kEnvoyFilterGk;
using core::kDestinationRuleGk;
using core::kServiceGk;
using core::kEndpointsGk;
using core::kNamespaceGk;
using core::kPodGk;
using core::kConfigMapGk;
using core::kServiceAccountGk;
using core::kDeploymentGk;
using core::kRoleGk;
using core::kRoleBindingGk;
using core::kClusterRoleGk;
using core::kClusterRoleBindingGk;

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
inline constexpr std::string_view kToGlobalSidecarTcp = "to-global-sidecar-tcp";  // TCP lazy loading
inline constexpr std::string_view kTcpLazyloadChain = "slime-tcp-lazyload";   // its virtualOutbound filter chain
inline constexpr std::string_view kAccessLogSource = "lazyload-accesslog-source";

// Reconcile key prefixes.
inline constexpr std::string_view kFenceKeyPrefix = "fence/";
inline constexpr std::string_view kAutoFenceKeyPrefix = "autofence/";
inline constexpr std::string_view kWorkloadKeyPrefix = "workload/";
inline constexpr std::string_view kGlobalSidecarKey = "global-sidecar";

}  // namespace slime::lazyload

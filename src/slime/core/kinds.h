#pragma once
// GroupKinds of the standard Kubernetes and Istio kinds Slime reads or writes, declared once. Slime's own
// kinds (ServiceFence, SmartLimiter, …) stay with the module that owns them.
#include "slime/core/gvk.h"

namespace slime::core {

// Kubernetes.
inline const GroupKind kNamespaceGk{"", "Namespace"};
inline const GroupKind kServiceGk{"", "Service"};
inline const GroupKind kEndpointsGk{"", "Endpoints"};
// Endpoints' successor (the Endpoints API is deprecated since Kubernetes 1.33). Modules read both; the
// controller watches EndpointSlices where the server has them and Endpoints only on older clusters.
inline const GroupKind kEndpointSliceGk{"discovery.k8s.io", "EndpointSlice"};
inline const GroupKind kPodGk{"", "Pod"};
inline const GroupKind kConfigMapGk{"", "ConfigMap"};
inline const GroupKind kSecretGk{"", "Secret"};
inline const GroupKind kServiceAccountGk{"", "ServiceAccount"};
inline const GroupKind kDeploymentGk{"apps", "Deployment"};
inline const GroupKind kRoleGk{"rbac.authorization.k8s.io", "Role"};
inline const GroupKind kRoleBindingGk{"rbac.authorization.k8s.io", "RoleBinding"};
inline const GroupKind kClusterRoleGk{"rbac.authorization.k8s.io", "ClusterRole"};
inline const GroupKind kClusterRoleBindingGk{"rbac.authorization.k8s.io", "ClusterRoleBinding"};

// Istio (networking.istio.io).
inline const GroupKind kSidecarGk{"networking.istio.io", "Sidecar"};
inline const GroupKind kVirtualServiceGk{"networking.istio.io", "VirtualService"};
inline const GroupKind kServiceEntryGk{"networking.istio.io", "ServiceEntry"};
inline const GroupKind kEnvoyFilterGk{"networking.istio.io", "EnvoyFilter"};
inline const GroupKind kDestinationRuleGk{"networking.istio.io", "DestinationRule"};

}  // namespace slime::core

#pragma once
// How to reach and authenticate to one API server: from a kubeconfig file (current or named context)
// or from the service-account files Kubernetes mounts into every pod.
#include <string>

#include "slime/core/error.h"

namespace slime::kube {

struct ClusterConfig {
  std::string server;              // https://host:port, no trailing slash
  std::string ca_file;             // PEM bundle file; empty = system trust store
  std::string ca_data;             // PEM bundle (decoded certificate-authority-data)
  std::string client_cert_file, client_key_file;
  std::string client_cert_data, client_key_data;  // PEM (decoded *-data fields)
  std::string token;               // static bearer token
  std::string token_file;          // re-read on every request: projected SA tokens rotate
  bool insecure_skip_tls_verify = false;
  std::string ns = "default";      // the context's namespace
};

// Reads a kubeconfig (YAML). `context` empty = current-context. Relative file paths are resolved
// against the kubeconfig's directory, as kubectl does.
core::Result<ClusterConfig> load_kubeconfig(const std::string& path, const std::string& context = {});

// In-cluster: KUBERNETES_SERVICE_HOST/PORT plus /var/run/secrets/kubernetes.io/serviceaccount/.
// `sa_dir` is overridable so the code path can be tested outside a pod.
core::Result<ClusterConfig> in_cluster_config(
    const std::string& sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

}  // namespace slime::kube

#pragma once
// A real etcd + kube-apiserver for one test program, started with tools/envtest/start.sh in a fresh
// temporary directory and stopped with stop.sh. Tests talk to it only through the kubeconfig it
// writes, as a user's slime would.
#include <memory>
#include <string>

#include "slime/core/error.h"
#include "slime/kube/client.h"

namespace slime::testing {

class EnvtestServer {
 public:
  // Starts the servers (binaries from tools/envtest/bin, built by the CTest fixture `envtest_build`).
  static core::Result<EnvtestServer*> start_shared();
  // Stops the shared servers and removes the directory (called from a gtest Environment).
  static void stop_shared();
  // A server of one's own (tests that need a pristine cluster); stopped by stop() or the destructor.
  static core::Result<std::unique_ptr<EnvtestServer>> start_private();
  void stop();
  ~EnvtestServer();

  const std::string& dir() const { return dir_; }
  std::string kubeconfig() const { return dir_ + "/kubeconfig"; }
  // Stops and starts only kube-apiserver on the same port with the same etcd data.
  core::Result<void> restart_apiserver();
  core::Result<void> stop_apiserver();
  core::Result<void> start_apiserver();

  // Applies every document of a multi-document YAML file (e.g. CRDs) and waits until each CRD is
  // Established, so its kinds are usable right after.
  static core::Result<void> install_crds(kube::Client& client, const std::string& yaml_path);
  // Istio's CRDs (tools/envtest/bin/istio-crds.yaml) and Slime's (api/crds/).
  static core::Result<void> install_istio_and_slime_crds(kube::Client& client);

 private:
  std::string dir_;
};

// Where the source tree is (scripts, CRDs), set by CMake.
std::string source_dir();

}  // namespace slime::testing

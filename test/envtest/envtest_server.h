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
  // extra_flags: more kube-apiserver flags for this start (e.g. "--watch-cache=false").
  core::Result<void> start_apiserver(const std::string& extra_flags = {});
  // A second kube-apiserver on the same etcd (an HA control plane), reached through kubeconfig2():
  // tests write through it while the first one is down. Stopped by stop() too.
  core::Result<void> start_second_apiserver();
  std::string kubeconfig2() const { return dir_ + "/kubeconfig2"; }
  // etcd's client URL (plain HTTP on loopback), for tests that talk to etcd itself (compaction).
  std::string etcd_url() const;

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

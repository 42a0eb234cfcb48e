#pragma once
// The mesh tier's world: a real kube-apiserver (tools/envtest), a real istiod (tools/istiod) reading it,
// and xds-probe processes as the workloads' proxies. Workloads are written the way a kubelet and the
// endpoint controllers would leave them (Pod with podIP, Running, Ready; Service; Endpoints for Slime;
// EndpointSlice for istiod), because no controllers run. Shared by test/mesh and bench/mesh.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "envtest_server.h"
#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/kube/client.h"

namespace slime::mesh {

using core::Json;

// A child process with its output in a log file; SIGTERM (then SIGKILL) on destruction.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { stop(); }
  core::Result<void> start(const std::string& binary, const std::vector<std::string>& args,
                           const std::filesystem::path& log);
  // The first capture of `pattern` in the log, waiting up to `wait` (empty when it never appears).
  std::string wait_for_log(const std::string& pattern, std::chrono::milliseconds wait) const;
  void stop();
  bool running() const;
  std::string log() const;
  const std::filesystem::path& log_path() const { return log_; }

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
};
// One plain HTTP/1.1 request to 127.0.0.1:port (bounded by a 60 s socket timeout).
HttpResult http_request(int port, const std::string& method, const std::string& target,
                        const std::map<std::string, std::string>& headers = {}, const std::string& body = {});

// A destination for calls through `slime proxy`: answers every request on 127.0.0.1 with 200 "ok".
class LoopbackHttpServer {
 public:
  LoopbackHttpServer();
  ~LoopbackHttpServer();
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;
  int port() const { return port_; }

 private:
  void serve();
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct PortSpec {
  std::string name;  // Istio infers the protocol from the prefix (http-, grpc-, tcp-)
  int port = 0;
  int target_port = 0;  // 0: same as port
};

struct Workload {
  std::string ns, name;
  std::string ip;                              // the Pod's IP (what the proxy reports as INSTANCE_IPS)
  std::map<std::string, std::string> labels;   // Pod labels and Service selector
  std::vector<PortSpec> ports;                 // Service ports; empty: a Pod without a Service
  bool with_pod = true;                        // false: Service + endpoints only (a destination)
  bool with_service = true;                    // false: endpoints of a Service someone else writes
  std::map<std::string, std::string> service_labels;
};

// An xds-probe process serving its control API: one or more fake proxies of one workload.
class Probe {
 public:
  struct Options {
    std::string type = "sidecar";
    std::string ns, pod, ip;
    std::map<std::string, std::string> labels, meta;
    int count = 1;
    bool delta = false;
  };
  core::Result<void> start(const std::string& xds_addr, const Options& o, const std::filesystem::path& log);
  void stop() { child_.stop(); }
  // GET on the control API; the body parsed as JSON (error: not 200 or not JSON).
  core::Result<Json> get(const std::string& target) const;
  // Waits until every condition holds (see tools/xds-probe/inspect.go); returns the probe's answer
  // ({ok, elapsed_ms, satisfied_unix_ns}) or an error naming the condition that did not hold.
  core::Result<Json> wait(const std::vector<std::string>& conditions, std::chrono::milliseconds timeout,
                          const std::string& proxy = "0") const;
  core::Result<Json> config(const std::string& type, int proxy = 0) const;
  core::Result<Json> chains(int proxy = 0) const;
  core::Result<Json> stats() const { return get("/stats"); }
  std::string log() const { return child_.log(); }

 private:
  Child child_;
  int port_ = 0;
};

class MeshEnv {
 public:
  // apiserver + Istio's and Slime's CRDs + istio-system + istiod. Error: what did not start.
  static core::Result<std::unique_ptr<MeshEnv>> start();
  ~MeshEnv();

  kube::Client& kube() { return *client_; }
  const std::string& kubeconfig() const { return kubeconfig_; }
  std::string dir() const { return server_->dir(); }
  std::string xds_addr() const { return "127.0.0.1:" + std::to_string(xds_port_); }
  int istiod_http_port() const { return http_port_; }
  int istiod_monitoring_port() const { return monitoring_port_; }
  std::string istiod_log() const;

  // Applies every document of a YAML text (server-side apply; `status` is applied to /status).
  core::Result<void> apply_yaml(const std::string& yaml);
  core::Result<void> ensure_namespace(const std::string& ns, const std::map<std::string, std::string>& labels = {});
  // Service, Endpoints and EndpointSlice (and the Pod with its status when with_pod).
  core::Result<void> add_workload(const Workload& w);
  // `slime run --kubeconfig` with this module configuration and the access-log service on a free
  // loopback port; returns that port (where `slime proxy` reports calls).
  core::Result<int> start_slime_run(Child& child, const std::string& config_yaml);
  // `slime proxy` forwarding to the Services/Endpoints of `manifest_yaml` (the apiserver refuses
  // loopback endpoints, so the proxy's destinations come from a manifest) and reporting to
  // als_port; returns its listening port.
  core::Result<int> start_slime_proxy(Child& child, const std::string& manifest_yaml, int als_port);
  // istiod's process id (for its memory and CPU time).
  pid_t istiod_pid() const;
  // istiod's Prometheus text, and one debug endpoint as JSON.
  core::Result<std::string> istiod_metrics() const;
  core::Result<Json> istiod_debug(const std::string& target) const;

  static std::string probe_binary();
  static std::string slime_binary();

 private:
  MeshEnv() = default;
  std::unique_ptr<testing::EnvtestServer> server_;
  std::unique_ptr<kube::Client> client_;
  std::string kubeconfig_;
  int xds_port_ = 0, http_port_ = 0, monitoring_port_ = 0;
};

// The sum of a Prometheus series' values whose labels contain every `label="value"` given.
double metric_value(const std::string& text, const std::string& name, const std::vector<std::string>& labels = {});

}  // namespace slime::mesh

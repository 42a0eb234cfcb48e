#pragma once
// The learning loop on loopback, in one process: a manifest directory with a caller (Service + Endpoints
// at kCallerIp + ServiceFence) and N destination Services served by one HTTP backend; the controller
// (runtime::run_service with the access-log service extension) and the proxy reporting to it; the proxy
// also has a --tcp-listen port, and two TCP echo Services (one with a cluster IP, one headless) are
// registered for TCP lazy loading. Shared by test/e2e/learning and bench/learning.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "slime/core/config.h"
#include "slime/learning/als_extension.h"
#include "slime/metric/accesslog/accesslog_reporter.h"
#include "slime/modules/lazyload/config.h"
#include "slime/modules/registry.h"
#include "slime/proxy/mesh_source.h"
#include "slime/proxy/server.h"
#include "slime/runtime/service.h"
#include "test_backends.h"

namespace slime::learning {

inline constexpr const char* kCallerIp = "127.0.0.2";

class LearningHarness {
 public:
  explicit LearningHarness(int destinations) : destinations_(destinations) {
    char tmpl[] = "/tmp/slime-learning-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
  }
  ~LearningHarness() {
    proxy_.reset();
    mesh_source_.reset();
    reporter_.reset();
    stop_ = true;
    if (controller_.joinable()) controller_.join();
    backend_.reset();
    grpc_backend_.reset();
    tcp_echo_.reset();
    tcp_echo_headless_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  bool start() {
    backend_ = std::make_unique<slime::testing::HttpBackend>("backend");
    grpc_backend_ = std::make_unique<slime::testing::GrpcEchoBackend>("127.0.0.4");
    tcp_echo_ = std::make_unique<slime::testing::TcpEchoBackend>("127.0.0.6");
    tcp_echo_headless_ = std::make_unique<slime::testing::TcpEchoBackend>("127.0.0.7");
    write_manifests();
    auto cfg_json = core::Json::parse(R"({"name":"lazyload","kind":"lazyload","enable":true,
      "general":{"metricSourceType":"accesslog","wormholePort":["80"]},
      "global":{"slimeNamespace":"mesh-operator","istioNamespace":"istio-system"}})");
    auto cfg = core::parse_slime_config(cfg_json);
    if (!cfg) return fail(cfg.error().str());
    auto inst = modules::instantiate(*cfg);
    if (!inst) return fail(inst.error().str());
    instances_ = std::make_unique<modules::Instances>(std::move(*inst));
    std::vector<core::Module*> mods;
    std::optional<lazyload::FenceConfig> fence;
    for (size_t i = 0; i < instances_->modules.size(); ++i) {
      mods.push_back(instances_->modules[i].get());
      if (instances_->configs[i].effective_kind() == "lazyload") {
        auto p = lazyload::parse_config(instances_->configs[i]);
        if (!p) return fail(p.error().str());
        fence = std::move(p->config);
      }
    }
    if (!fence) return fail("no lazyload module in this build");
    runtime::ServiceOptions svc;
    svc.state_dir = dir_;
    svc.admin_addr = "";
    // Port 0: the service reports the port it bound (no window for another listener to take it).
    svc.extensions.push_back(
        als_extension("127.0.0.1:0", std::move(*fence), [this](uint16_t port) { als_port_ = port; }, handle_));
    // Runs after the access-log service started: once cluster_ is set, calls can be learned.
    svc.extensions.push_back([this](store::Cluster& c) -> core::Result<StopFn> {
      cluster_ = &c;
      return StopFn([] {});
    });
    controller_ = std::thread([this, svc, mods] { exit_code_ = runtime::run_service(svc, mods, stop_); });

    // Ready when the controller runs its extensions (it leads): the access-log service is listening and
    // cluster_ is set.
    for (int i = 0; i < 1000 && !cluster_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!cluster_.load()) return fail("controller did not start (exit code " + std::to_string(exit_code_.load()) + ")");
    reporter_ = std::make_unique<metric::AccessLogReporter>(
        metric::AccessLogReporter::Options{.target = "127.0.0.1:" + std::to_string(als_port_.load())});
    proxy::ProxyOptions opts;
    opts.listen = {"127.0.0.1:0"};
    opts.tcp_listen = {"127.0.0.1:0"};
    opts.proxy_header_timeout = std::chrono::milliseconds(500);
    opts.trust_forwarded_for = true;  // gRPC callers cannot bind the caller's IP: they name it instead
    opts.on_call = [r = reporter_.get()](const proxy::CallRecord& c) {
      r->report({c.source_ip, c.source_port, c.listen_port, c.authority, c.path, c.status, c.tcp});
    };
    proxy_ = std::make_unique<proxy::ProxyServer>(opts);
    mesh_source_ = std::make_unique<proxy::ManifestMeshSource>(
        dir_, [p = proxy_.get()](std::shared_ptr<const proxy::MeshIndex> m) { p->set_mesh(std::move(m)); });
    mesh_source_->set_tcp_sink(
        [p = proxy_.get()](std::shared_ptr<const proxy::TcpRoutes> r) { p->set_tcp_routes(std::move(r)); });
    if (auto r = mesh_source_->start(); !r) return fail(r.error().str());
    if (auto r = proxy_->start(); !r) return fail(r.error().str());
    return true;
  }

  uint16_t proxy_port() const { return proxy_->ports().at(0); }
  uint16_t tcp_proxy_port() const { return proxy_->tcp_ports().at(0); }
  const proxy::ProxyServer& proxy() const { return *proxy_; }
  // The TCP echo Services: tcp-echo (cluster IP 127.0.0.6, port = the echo's) and tcp-headless (endpoint
  // 127.0.0.7, Service port 7000 -> the echo's port).
  const slime::testing::TcpEchoBackend& tcp_echo() const { return *tcp_echo_; }
  const slime::testing::TcpEchoBackend& tcp_echo_headless() const { return *tcp_echo_headless_; }
  const std::string& state_dir() const { return dir_; }
  const std::string& error() const { return error_; }

  core::Json find(const char* group, const char* kind, const char* ns, const char* name) const {
    auto* c = cluster_.load();
    if (!c) return nullptr;
    auto obj = c->store().find(core::ObjectKey{core::GroupKind{group, kind}, ns, name});
    return obj ? obj->json() : core::Json(nullptr);
  }
  std::string sidecar_hosts() const {
    auto sc = find("networking.istio.io", "Sidecar", "default", "caller");
    if (sc.is_null()) return {};
    auto it = sc.find("spec");
    if (it == sc.end() || !it->contains("egress")) return {};
    return (*it)["egress"].dump();
  }
  // The running learning loop, as the /lazyload/debug/svfReset endpoint reaches it.
  const LearningHandle& handle() const { return *handle_; }
  core::Json fence_status() const {
    auto f = find("microservice.slime.io", "ServiceFence", "default", "caller");
    return f.is_object() && f.contains("status") ? f["status"] : core::Json::object();
  }
  // Polls the store (every 200 us) until pred(Sidecar egress JSON) holds.
  bool wait_for_sidecar(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred(sidecar_hosts())) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return pred(sidecar_hosts());
  }

 private:
  bool fail(std::string e) {
    error_ = std::move(e);
    return false;
  }
  void write_manifests() {
    std::ofstream f(dir_ + "/mesh.yaml");
    f << "apiVersion: v1\nkind: Service\nmetadata: {name: caller, namespace: default}\n"
         "spec: {clusterIP: None, selector: {app: caller}, ports: [{name: http, port: 80}]}\n---\n"
         "apiVersion: v1\nkind: Endpoints\nmetadata: {name: caller, namespace: default}\n"
         "subsets: [{addresses: [{ip: " << kCallerIp << "}], ports: [{name: http, port: 80}]}]\n---\n"
         "apiVersion: microservice.slime.io/v1alpha1\nkind: ServiceFence\nmetadata: {name: caller, namespace: default}\n"
         "spec: {enable: true, workloadSelector: {fromService: true}}\n";
    for (int i = 0; i < destinations_; ++i) {
      std::string n = "dest-" + std::to_string(i);
      f << "---\napiVersion: v1\nkind: Service\nmetadata: {name: " << n << ", namespace: default}\n"
        << "spec: {clusterIP: None, selector: {app: " << n << "}, ports: [{name: http, port: 80}]}\n---\n"
        << "apiVersion: v1\nkind: Endpoints\nmetadata: {name: " << n << ", namespace: default}\n"
        << "subsets: [{addresses: [{ip: " << backend_->ip() << "}], ports: [{name: http, port: " << backend_->port()
        << "}]}]\n";
    }
    f << "---\napiVersion: v1\nkind: Service\nmetadata: {name: tcp-echo, namespace: default}\n"
      << "spec: {clusterIP: 127.0.0.6, ports: [{name: tcp, port: " << tcp_echo_->port() << "}]}\n---\n"
      << "apiVersion: v1\nkind: Service\nmetadata: {name: tcp-headless, namespace: default}\n"
      << "spec: {clusterIP: None, ports: [{name: tcp, port: 7000}]}\n---\n"
      << "apiVersion: v1\nkind: Endpoints\nmetadata: {name: tcp-headless, namespace: default}\n"
      << "subsets: [{addresses: [{ip: 127.0.0.7}], ports: [{name: tcp, port: " << tcp_echo_headless_->port()
      << "}]}]\n";
    // gRPC destinations grpc-0 and grpc-1, both served by the one gRPC backend.
    for (int i = 0; i < 2; ++i) {
      std::string n = "grpc-" + std::to_string(i);
      f << "---\napiVersion: v1\nkind: Service\nmetadata: {name: " << n << ", namespace: default}\n"
        << "spec: {clusterIP: None, selector: {app: " << n << "}, ports: [{name: grpc, port: 50051}]}\n---\n"
        << "apiVersion: v1\nkind: Endpoints\nmetadata: {name: " << n << ", namespace: default}\n"
        << "subsets: [{addresses: [{ip: 127.0.0.4}], ports: [{name: grpc, port: " << grpc_backend_->port()
        << "}]}]\n";
    }
  }

  int destinations_;
  std::string dir_, error_;
  std::unique_ptr<slime::testing::HttpBackend> backend_;
  std::unique_ptr<slime::testing::GrpcEchoBackend> grpc_backend_;
  std::unique_ptr<slime::testing::TcpEchoBackend> tcp_echo_, tcp_echo_headless_;
  std::unique_ptr<modules::Instances> instances_;
  std::atomic<bool> stop_{false};
  std::atomic<int> exit_code_{-1};
  std::atomic<store::Cluster*> cluster_{nullptr};
  std::thread controller_;
  std::atomic<uint16_t> als_port_{0};
  std::shared_ptr<LearningHandle> handle_ = std::make_shared<LearningHandle>();
  std::unique_ptr<metric::AccessLogReporter> reporter_;
  std::unique_ptr<proxy::ProxyServer> proxy_;
  std::unique_ptr<proxy::ManifestMeshSource> mesh_source_;
};

}  // namespace slime::learning

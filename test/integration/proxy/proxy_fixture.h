#pragma once
// The proxy integration fixture: loopback backends registered as mesh Services and Endpoints, and a
// proxy in front of them that records every call it reports.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "echo.grpc.pb.h"
#include "slime/core/yaml.h"
#include "slime/proxy/server.h"
#include "slime/store/memory_store.h"
#include "test_backends.h"

namespace slime::proxy {

using slime::testing::get;
using slime::testing::GrpcEchoBackend;
using slime::testing::HttpBackend;
using slime::testing::HttpClient;

// Services "web" (headless, endpoint = the HTTP backend), "grpc-echo" and "grpc-hello" (headless, the two
// gRPC backends) and "down" (an endpoint where nothing listens), all in namespace "default".
inline std::shared_ptr<const MeshIndex> mesh_for(uint16_t web_port, uint16_t grpc_port, uint16_t dead_port,
                                                 uint16_t grpc_hello_port = 1) {
  std::string yaml = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: default}
subsets: [{addresses: [{ip: 127.0.0.3}], ports: [{name: http, port: WEB}]}]
---
apiVersion: v1
kind: Service
metadata: {name: grpc-echo, namespace: default}
spec: {clusterIP: None, ports: [{name: grpc, port: 50051}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: grpc-echo, namespace: default}
subsets: [{addresses: [{ip: 127.0.0.4}], ports: [{name: grpc, port: GRPC}]}]
---
apiVersion: v1
kind: Service
metadata: {name: grpc-hello, namespace: default}
spec: {clusterIP: None, ports: [{name: grpc, port: 50051}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: grpc-hello, namespace: default}
subsets: [{addresses: [{ip: 127.0.0.6}], ports: [{name: grpc, port: HELLO}]}]
---
apiVersion: v1
kind: Service
metadata: {name: down, namespace: default}
spec: {clusterIP: None, ports: [{name: http, port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: down, namespace: default}
subsets: [{addresses: [{ip: 127.0.0.5}], ports: [{name: http, port: DEAD}]}]
)";
  auto replace = [&](const std::string& what, uint16_t port) {
    yaml.replace(yaml.find(what), what.size(), std::to_string(port));
  };
  replace("WEB", web_port);
  replace("GRPC", grpc_port);
  replace("DEAD", dead_port);
  replace("HELLO", grpc_hello_port);
  store::MemoryStore mem;
  auto parsed = core::parse_yaml_documents(yaml);
  EXPECT_TRUE(parsed.errors.empty());
  for (auto& d : parsed.documents) mem.put(core::Object(d.json));
  return std::make_shared<const MeshIndex>(MeshIndex::build(mem));
}

inline uint16_t unused_port() {
  // Bind and release: nothing listens there afterwards.
  HttpBackend b("tmp", "127.0.0.5");
  return b.port();
}

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dead_port_ = unused_port();
    web_ = std::make_unique<HttpBackend>("web");
    grpc_ = std::make_unique<GrpcEchoBackend>();
    grpc_hello_ = std::make_unique<GrpcEchoBackend>("127.0.0.6", "hello: ");
    ProxyOptions opts;
    opts.listen = {"127.0.0.1:0"};
    opts.probe_addr = "127.0.0.1:0";
    opts.max_header_bytes = 8 * 1024;
    opts.max_body_bytes = 16 * 1024 * 1024;
    opts.header_timeout = std::chrono::milliseconds(500);
    opts.response_timeout = std::chrono::milliseconds(800);
    opts.connect_timeout = std::chrono::milliseconds(1000);
    opts.threads = 2;
    opts.on_call = [this](const CallRecord& c) {
      std::lock_guard lock(calls_mu_);
      calls_.push_back(c);
    };
    customize(opts);
    proxy_ = std::make_unique<ProxyServer>(opts);
    proxy_->set_mesh(mesh_for(web_->port(), grpc_->port(), dead_port_, grpc_hello_->port()));
    auto started = proxy_->start();
    ASSERT_TRUE(started) << started.error().str();
    port_ = proxy_->ports().at(0);
  }
  void TearDown() override {
    proxy_.reset();
    grpc_.reset();
    grpc_hello_.reset();
    web_.reset();
  }
  virtual void customize(ProxyOptions&) {}

  std::vector<CallRecord> calls() {
    std::lock_guard lock(calls_mu_);
    return calls_;
  }

  uint16_t dead_port_ = 0;
  std::unique_ptr<HttpBackend> web_;
  std::unique_ptr<GrpcEchoBackend> grpc_, grpc_hello_;
  std::unique_ptr<ProxyServer> proxy_;
  uint16_t port_ = 0;
  std::mutex calls_mu_;
  std::vector<CallRecord> calls_;
};

}  // namespace slime::proxy

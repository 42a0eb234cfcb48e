// `slime proxy`'s wormhole-port listeners against a real apiserver: the global-sidecar ConfigMap is
// watched in its namespace (as the original's ConfigMap controller did) and the listeners follow it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "../support/free_port.h"
#include "envtest_server.h"
#include "slime/kube/cluster_config.h"
#include "slime/proxy/server.h"
#include "slime/proxy/wormhole_ports.h"
#include "slime/runtime/kube_cluster.h"

namespace slime::proxy {
namespace {

using core::Object;

testing::EnvtestServer& server() { return *testing::EnvtestServer::start_shared().value(); }

uint16_t unused_port() { return testing::free_port_below_ephemeral(); }

bool accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

template <typename F>
bool eventually(F&& f, std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

Object gs_config_map(const std::string& ns, const std::vector<uint16_t>& ports) {
  // The shape lazyload renders (spec §6.2).
  Object o("v1", "ConfigMap", ns, "global-sidecar");
  o.set_label("lazyload.slime.io/config", "global-sidecar");
  std::string cfg = "wormholePorts:";
  for (auto p : ports) cfg += "\n- " + std::to_string(p);
  o.json()["data"] = {{"cfg", cfg}};
  return o;
}

TEST(ProxyWormholeKube, ListenersFollowTheConfigMapInTheCluster) {
  kube::Client client(kube::load_kubeconfig(server().kubeconfig()).value());
  const std::string ns = "gs-wormhole";
  ASSERT_TRUE(client.apply(Object("v1", "Namespace", "", ns)).has_value());
  uint16_t p1 = unused_port(), p2 = unused_port();
  ASSERT_TRUE(client.apply(gs_config_map(ns, {p1})).has_value());
  // Another ConfigMap of the namespace is not ours.
  ASSERT_TRUE(client.apply(Object("v1", "ConfigMap", ns, "unrelated")).has_value());

  ProxyOptions opts;
  opts.listen = {"127.0.0.1:0"};
  opts.dynamic_listen_host = "127.0.0.1";
  ProxyServer proxy(opts);
  runtime::KubeCluster configmaps(client, ns);
  WormholeListeners wormhole(configmaps.store(), *parse_config_map_ref(ns + "/global-sidecar", "unused"), proxy,
                             /*cleanup=*/true);
  ASSERT_TRUE(configmaps.start({{"", "ConfigMap"}}));
  ASSERT_TRUE(configmaps.wait_synced(std::chrono::seconds(20)));
  ASSERT_TRUE(proxy.start());
  wormhole.activate();
  EXPECT_EQ(proxy.dynamic_ports(), std::vector<uint16_t>{p1});
  EXPECT_TRUE(accepts(p1));

  // Lazyload adds a port (autoPort): both listen.
  ASSERT_TRUE(client.apply(gs_config_map(ns, {p1, p2})).has_value());
  EXPECT_TRUE(eventually([&] { return proxy.dynamic_ports().size() == 2; }));
  EXPECT_TRUE(accepts(p2));

  // cleanupWormholePort: the port that left the list closes.
  ASSERT_TRUE(client.apply(gs_config_map(ns, {p2})).has_value());
  EXPECT_TRUE(eventually([&] { return proxy.dynamic_ports() == std::vector<uint16_t>{p2}; }));
  EXPECT_TRUE(eventually([&] { return !accepts(p1); }));

  // Deleted: only the --listen port is left.
  ASSERT_TRUE(client.remove({"", "v1", "ConfigMap"}, ns, "global-sidecar").has_value());
  EXPECT_TRUE(eventually([&] { return proxy.dynamic_ports().empty(); }));
  EXPECT_TRUE(accepts(proxy.ports()[0]));

  configmaps.stop();
  proxy.stop();
}

}  // namespace
}  // namespace slime::proxy

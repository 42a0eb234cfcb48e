// Wormhole-port listeners follow the global-sidecar ConfigMap: the proxy reads a manifest directory
// (inotify-watched, the same files `slime run --state-dir` reads and writes), opens a listener for every
// port in `data.cfg` and, with cleanup on, closes the ones that leave it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../../support/free_port.h"
#include "slime/proxy/cluster_mesh_source.h"
#include "slime/proxy/server.h"
#include "slime/proxy/wormhole_ports.h"
#include "slime/store/manifest_dir.h"
#include "test_backends.h"

namespace slime::proxy {
namespace {

namespace fs = std::filesystem;
using slime::testing::HttpBackend;
using slime::testing::HttpClient;

uint16_t unused_port() { return testing::free_port_below_ephemeral(); }

void write_file(const fs::path& p, const std::string& text) {
  auto tmp = p.string() + ".tmp";
  std::ofstream(tmp) << text;
  fs::rename(tmp, p);  // one inotify event with the whole content
}

std::string config_map(const std::string& cfg) {
  std::string indented;
  for (size_t i = 0, j; i < cfg.size(); i = j + 1) {
    j = cfg.find('\n', i);
    if (j == std::string::npos) j = cfg.size();
    indented += "    " + cfg.substr(i, j - i) + "\n";
  }
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: global-sidecar\n  namespace: mesh-operator\n"
         "  labels: {lazyload.slime.io/config: global-sidecar}\ndata:\n  cfg: |\n" +
         indented;
}

// 200 from the backend through `port`, or 0 when nothing answers there.
int call(uint16_t port) {
  HttpClient c(port);
  if (!c.connected()) return 0;
  auto r = c.request("GET /hello HTTP/1.1\r\nHost: web.default\r\n\r\n");
  return r.status;
}

template <typename F>
bool eventually(F&& f, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

TEST(ProxyWormholePorts, ListenersFollowTheGlobalSidecarConfigMap) {
  HttpBackend web("web");
  auto dir = fs::temp_directory_path() / ("slime-proxy-wormhole-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_file(dir / "web.yaml",
             "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
             "spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n---\n"
             "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: default}\n"
             "subsets: [{addresses: [{ip: 127.0.0.3}], ports: [{name: http, port: " +
                 std::to_string(web.port()) + "}]}]\n");
  uint16_t p1 = unused_port(), p2 = unused_port();
  ASSERT_NE(p1, p2);
  write_file(dir / "gs.yaml", config_map("wormholePorts:\n- " + std::to_string(p1)));

  ProxyOptions opts;
  opts.listen = {"127.0.0.1:0"};
  opts.dynamic_listen_host = "127.0.0.1";
  opts.threads = 2;
  ProxyServer server(opts);
  store::ManifestDirCluster cluster(dir.string());
  ClusterMeshSource mesh(cluster, [&](std::shared_ptr<const MeshIndex> m) { server.set_mesh(std::move(m)); });
  auto key = parse_config_map_ref("mesh-operator/global-sidecar", "ignored");
  ASSERT_TRUE(key);
  WormholeListeners wormhole(cluster.store(), *key, server, /*cleanup=*/true);
  ASSERT_TRUE(mesh.start(std::chrono::seconds(5)));
  ASSERT_TRUE(server.start());
  wormhole.activate();

  // The listed port serves like a --listen port, and the static one keeps serving.
  EXPECT_EQ(server.dynamic_ports(), std::vector<uint16_t>{p1});
  EXPECT_EQ(call(p1), 200);
  EXPECT_EQ(call(server.ports()[0]), 200);
  EXPECT_EQ(call(p2), 0);

  // The port list changes: the new port opens, the vanished one closes (cleanup on).
  write_file(dir / "gs.yaml", config_map("wormholePorts:\n- " + std::to_string(p2)));
  EXPECT_TRUE(eventually([&] { return call(p2) == 200; }));
  EXPECT_TRUE(eventually([&] { return call(p1) == 0; }));
  EXPECT_EQ(server.dynamic_ports(), std::vector<uint16_t>{p2});

  // An unreadable list leaves the listeners as they are.
  write_file(dir / "gs.yaml", config_map("wormholePorts: [99999]"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(call(p2), 200);
  EXPECT_EQ(wormhole.applied(), std::vector<uint16_t>{p2});

  // The ConfigMap is deleted: no wormhole ports; the --listen port stays.
  fs::remove(dir / "gs.yaml");
  EXPECT_TRUE(eventually([&] { return call(p2) == 0; }));
  EXPECT_TRUE(server.dynamic_ports().empty());
  EXPECT_EQ(call(server.ports()[0]), 200);

  mesh.stop();
  server.stop();
  fs::remove_all(dir);
}

TEST(ProxyWormholePorts, WithoutCleanupPortsOnlyGrow) {
  HttpBackend web("web");
  auto dir = fs::temp_directory_path() / ("slime-proxy-wormhole-grow-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  uint16_t p1 = unused_port(), p2 = unused_port();
  write_file(dir / "gs.yaml", config_map("wormholePorts: [" + std::to_string(p1) + "]"));
  ProxyOptions opts;
  opts.listen = {"127.0.0.1:0"};
  opts.dynamic_listen_host = "127.0.0.1";
  ProxyServer server(opts);
  store::ManifestDirCluster cluster(dir.string());
  WormholeListeners wormhole(cluster.store(), *parse_config_map_ref("global-sidecar", "mesh-operator"), server,
                             /*cleanup=*/false);
  ASSERT_TRUE(cluster.start({}));
  ASSERT_TRUE(server.start());
  wormhole.activate();
  EXPECT_EQ(server.dynamic_ports(), std::vector<uint16_t>{p1});
  write_file(dir / "gs.yaml", config_map("wormholePorts: [" + std::to_string(p2) + "]"));
  EXPECT_TRUE(eventually([&] { return server.dynamic_ports().size() == 2; }));
  HttpClient c1(p1), c2(p2);
  EXPECT_TRUE(c1.connected());
  EXPECT_TRUE(c2.connected());
  cluster.stop();
  server.stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace slime::proxy

// What one /api/v1/graph request costs at scale: a synthetic mesh of N Services (default 5,000, over 50
// namespaces), one ServiceFence per Service with D learned dependencies (default 10) and the Sidecar
// lazyload would write for it. Prints the time to build the graph, to cut the whole-mesh view (aggregated
// by namespace) and one namespace's view, the size of each JSON answer, and how long the admin server holds
// the controller's store lock per answer (copying the object pointers out, with two Pods per Service in the
// store as well). A program that prints figures.
//
//   bench_graph [services=5000] [deps=10]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "slime/graph/graph_view.h"
#include "slime/graph/mesh_graph.h"
#include "slime/store/memory_store.h"
#include "slime/store/shared_store.h"

using namespace slime;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

void synthetic_mesh(store::MemoryStore& s, int services, int deps) {
  const int namespaces = 50;
  auto name = [](int i) { return "svc-" + std::to_string(i); };
  auto ns_of = [&](int i) { return "ns-" + std::to_string(i % namespaces); };
  for (int i = 0; i < services; ++i) {
    s.put(core::Object("v1", "Service", ns_of(i), name(i)));
    core::Object fence("microservice.slime.io/v1alpha1", "ServiceFence", ns_of(i), name(i));
    core::Json metric = core::Json::object(), domains = core::Json::object();
    core::Json hosts = core::Json::array({"istio-system/*", "mesh-operator/*"});
    for (int d = 1; d <= deps; ++d) {
      int j = (i * 7919 + d * 104729) % services;  // pseudo-random, deterministic callees
      std::string host = name(j) + "." + ns_of(j) + ".svc.cluster.local";
      metric["{destination_service=\"" + host + "\"}"] = "1";
      domains[host] = {{"hosts", core::Json::array({host})}};
      hosts.push_back("*/" + host);
    }
    fence.json()["spec"] = {{"enable", true}};
    fence.json()["status"] = {{"metricStatus", std::move(metric)}, {"domains", std::move(domains)}};
    s.put(std::move(fence));
    core::Object sidecar("networking.istio.io/v1alpha3", "Sidecar", ns_of(i), name(i));
    sidecar.json()["spec"] = {{"egress", core::Json::array({core::Json{{"hosts", std::move(hosts)}}})}};
    s.put(std::move(sidecar));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int services = argc > 1 ? std::atoi(argv[1]) : 5000;
  const int deps = argc > 2 ? std::atoi(argv[2]) : 10;
  store::MemoryStore s;
  synthetic_mesh(s, services, deps);
  graph::GraphOptions options;
  options.now = std::chrono::system_clock::now();

  const int rounds = 5;
  double build_ms = 0, all_ms = 0, one_ms = 0;
  size_t all_bytes = 0, one_bytes = 0, edges = 0;
  for (int r = 0; r < rounds; ++r) {
    auto t = Clock::now();
    auto g = graph::build_graph(s, options);
    build_ms += ms_since(t);
    edges = g.edges.size();
    t = Clock::now();
    all_bytes = graph::graph_view(g, graph::ViewOptions{}).dump().size();
    all_ms += ms_since(t);
    graph::ViewOptions one;
    one.ns = "ns-7";
    t = Clock::now();
    one_bytes = graph::graph_view(g, one).dump().size();
    one_ms += ms_since(t);
  }
  // What /api/v1/graph does under the store's lock: copy the pointers of every object out.
  store::SharedStore shared;
  for (auto& o : s.all()) shared.put(o);
  for (int i = 0; i < 2 * services; ++i) shared.put(core::Object("v1", "Pod", "ns-" + std::to_string(i % 50), "pod-" + std::to_string(i)));
  double lock_ms = 0;
  size_t copied = 0;
  for (int r = 0; r < rounds; ++r) {
    auto t = Clock::now();
    copied = shared.all().size();
    lock_ms += ms_since(t);
  }

  std::printf("mesh: %d services, %d learned dependencies each (%zu edges), %d namespaces\n", services, deps, edges, 50);
  std::printf("build_graph:                 %8.1f ms\n", build_ms / rounds);
  std::printf("view, whole mesh (by ns):    %8.1f ms  %8zu bytes of JSON\n", all_ms / rounds, all_bytes);
  std::printf("view, one namespace:         %8.1f ms  %8zu bytes of JSON\n", one_ms / rounds, one_bytes);
  std::printf("store lock held per answer:  %8.1f ms  (%zu object pointers copied)\n", lock_ms / rounds, copied);
  return 0;
}

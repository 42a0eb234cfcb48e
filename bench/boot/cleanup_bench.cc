// The clean-up planner at cluster scale: operator mode caches every ConfigMap, Service, ServiceAccount,
// Deployment and ClusterRoleBinding, and the planner scans them by annotation when a SlimeBoot is
// deleted (plan_cleanup) and at each start (orphaned_cleanup_keys). Prints figures; asserts nothing.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "slime/runtime/finalizer.h"
#include "slime/store/memory_store.h"

namespace {

using slime::core::GroupKind;
using slime::core::Object;

const GroupKind kSlimeBoot{"config.netease.com", "SlimeBoot"};
const std::set<GroupKind> kWritten{{"", "ConfigMap"}, {"", "Service"}, {"", "ServiceAccount"}, {"apps", "Deployment"},
                                   {"rbac.authorization.k8s.io", "ClusterRoleBinding"}};

template <typename F>
double millis(int runs, F&& f) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / runs;
}

}  // namespace

int main(int argc, char** argv) {
  int services = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int slimeboots = 20;  // each renders 4 namespaced objects + a binding
  slime::store::MemoryStore store;
  // The cluster: one ConfigMap, Service, ServiceAccount and Deployment per service, unannotated.
  for (int i = 0; i < services; ++i) {
    std::string ns = "ns-" + std::to_string(i % 100), name = "svc-" + std::to_string(i);
    store.put(Object("v1", "ConfigMap", ns, name));
    store.put(Object("v1", "Service", ns, name));
    store.put(Object("v1", "ServiceAccount", ns, name));
    store.put(Object("apps/v1", "Deployment", ns, name));
  }
  // What the SlimeBoots rendered; every other one has been deleted (orphans).
  for (int b = 0; b < slimeboots; ++b) {
    std::string name = "boot-" + std::to_string(b), owner = "mesh-operator/" + name;
    if (b % 2 == 0) store.put(Object("config.netease.com/v1alpha1", "SlimeBoot", "mesh-operator", name));
    for (const char* kind : {"ConfigMap", "Service", "ServiceAccount"}) {
      Object o("v1", kind, "mesh-operator", name);
      o.set_annotation("slime.io/slimeboot", owner);
      store.put(std::move(o));
    }
    Object d("apps/v1", "Deployment", "mesh-operator", name), crb("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", name);
    d.set_annotation("slime.io/slimeboot", owner);
    crb.set_annotation("slime.io/slimeboot", owner);
    store.put(std::move(d));
    store.put(std::move(crb));
  }
  slime::core::Cleanup cleanup{kSlimeBoot, "slime.io/slimeboot-cleanup", "slime.io/slimeboot"};
  std::size_t found = 0, removed = 0;
  double orphans_ms = millis(20, [&] {
    found = slime::runtime::orphaned_cleanup_keys(store, cleanup, kWritten, [](const auto&) { return true; }).size();
  });
  double plan_ms = millis(20, [&] {
    removed = slime::runtime::plan_cleanup(store, cleanup, kWritten, "mesh-operator/boot-1",
                                           [](const auto&) { return false; }, {true, true})
                  .remove.size();
  });
  double live_ms = millis(2000, [&] {
    (void)slime::runtime::plan_cleanup(store, cleanup, kWritten, "mesh-operator/boot-0",
                                       [](const auto&) { return false; }, {true, true});
  });
  std::printf("objects in cache: %zu (services: %d, slimeboots: %d)\n", store.size(), services, slimeboots);
  std::printf("orphaned_cleanup_keys (start-up scan): %.2f ms, %zu orphaned keys\n", orphans_ms, found);
  std::printf("plan_cleanup, SlimeBoot gone (scan):  %.2f ms, %zu objects to delete\n", plan_ms, removed);
  std::printf("plan_cleanup, SlimeBoot live:         %.4f ms\n", live_ms);
  return 0;
}

// The kube client against a real kube-apiserver: auth variants, CRUD, conflicts, pagination,
// server-side apply ownership, status subresource, watch and Events.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "envtest_server.h"
#include "slime/kube/client.h"
#include "slime/kube/cluster_config.h"

namespace slime::kube {
namespace {

using core::Gvk;
using core::Json;
using core::Object;

const Gvk kConfigMap{"", "v1", "ConfigMap"};
const Gvk kNamespace{"", "v1", "Namespace"};

testing::EnvtestServer& server() { return *testing::EnvtestServer::start_shared().value(); }

Client make_client(const std::string& context = {}) {
  auto cfg = load_kubeconfig(server().kubeconfig(), context);
  EXPECT_TRUE(cfg.has_value()) << cfg.error().str();
  return Client(*cfg);
}

void make_namespace(Client& c, const std::string& ns) {
  auto r = c.apply(Object("v1", "Namespace", "", ns));
  ASSERT_TRUE(r.has_value()) << r.error().str();
}

Object config_map(const std::string& ns, const std::string& name, Json data) {
  Object o("v1", "ConfigMap", ns, name);
  o.json()["data"] = std::move(data);
  return o;
}

TEST(KubeClient, ClientCertificateAndTokenContextsBothAuthenticate) {
  for (const char* ctx : {"envtest", "envtest-token"}) {
    Client c = make_client(ctx);
    auto l = c.list(kNamespace);
    ASSERT_TRUE(l.has_value()) << ctx << ": " << l.error().str();
    bool has_default = false;
    for (auto& o : l->items) has_default |= o.name() == "default";
    EXPECT_TRUE(has_default) << ctx;
    EXPECT_FALSE(l->resource_version.empty());
  }
}

TEST(KubeClient, WrongTokenIsUnauthorizedNotACrash) {
  auto cfg = load_kubeconfig(server().kubeconfig(), "envtest-token");
  ASSERT_TRUE(cfg.has_value());
  cfg->token = "wrong";
  Client c(*cfg);
  auto l = c.list(kNamespace);
  ASSERT_FALSE(l.has_value());
  EXPECT_EQ(l.error().code, 401);
}

TEST(KubeClient, UnverifiableServerFailsUnlessInsecure) {
  auto cfg = load_kubeconfig(server().kubeconfig(), "envtest-token");
  ASSERT_TRUE(cfg.has_value());
  cfg->ca_file = "/etc/ssl/certs/ca-certificates.crt";  // does not contain the envtest CA
  {
    Client c(*cfg);
    auto l = c.list(kNamespace);
    ASSERT_FALSE(l.has_value());
    EXPECT_TRUE(l.error().transport()) << l.error().str();
  }
  cfg->insecure_skip_tls_verify = true;
  Client c(*cfg);
  EXPECT_TRUE(c.list(kNamespace).has_value());
}

TEST(KubeClient, CrudAndStaleUpdateConflicts) {
  Client c = make_client();
  make_namespace(c, "crud");
  auto created = c.create(config_map("crud", "a", {{"k", "1"}}));
  ASSERT_TRUE(created.has_value()) << created.error().str();
  auto again = c.create(config_map("crud", "a", {{"k", "1"}}));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, 409);  // AlreadyExists

  auto got = c.get(kConfigMap, "crud", "a");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->json()["data"]["k"], "1");

  Object first = *got, second = *got;
  first.json()["data"]["k"] = "2";
  auto u1 = c.update(first);
  ASSERT_TRUE(u1.has_value()) << u1.error().str();
  second.json()["data"]["k"] = "3";
  auto u2 = c.update(second);  // carries the old resourceVersion
  ASSERT_FALSE(u2.has_value());
  EXPECT_TRUE(u2.error().conflict()) << u2.error().str();

  ASSERT_TRUE(c.remove(kConfigMap, "crud", "a").has_value());
  auto gone = c.get(kConfigMap, "crud", "a");
  ASSERT_FALSE(gone.has_value());
  EXPECT_TRUE(gone.error().not_found());
}

TEST(KubeClient, ListPaginatesAcrossChunks) {
  Client c = make_client();
  make_namespace(c, "paged");
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(c.create(config_map("paged", "cm-" + std::to_string(i), {})).has_value());
  const std::pair<std::string, long> kList{"LIST", 200};
  auto before = c.stats().snapshot()[kList];
  auto l = c.list(kConfigMap, {.ns = "paged", .label_selector = {}, .field_selector = {}, .page_size = 10});
  ASSERT_TRUE(l.has_value()) << l.error().str();
  EXPECT_EQ(l->items.size(), 25u);
  EXPECT_EQ(c.stats().snapshot()[kList] - before, 3u);
  for (auto& o : l->items) EXPECT_EQ(o.kind(), "ConfigMap");  // restored on list items
}

// `each` runs on every item as its page is parsed, before the next page is requested: an informer cuts
// objects down there, so a first list never holds the whole cluster's objects whole.
TEST(KubeClient, ListCutsEachItemAsItsPageIsRead) {
  Client c = make_client();
  make_namespace(c, "paged-cut");
  for (int i = 0; i < 25; ++i)
    ASSERT_TRUE(c.create(config_map("paged-cut", "cm-" + std::to_string(i), {{"big", std::string(64, 'x')}})).has_value());
  const std::pair<std::string, long> kList{"LIST", 200};
  auto before = c.stats().snapshot()[kList];
  std::vector<uint64_t> pages_when_cut;
  ListOptions opts{.ns = "paged-cut", .label_selector = {}, .field_selector = {}, .page_size = 10};
  opts.each = [&](Object& o) {
    pages_when_cut.push_back(c.stats().snapshot()[kList] - before);
    o.json().erase("data");
  };
  auto l = c.list(kConfigMap, opts);
  ASSERT_TRUE(l.has_value()) << l.error().str();
  ASSERT_EQ(l->items.size(), 25u);
  for (auto& o : l->items) EXPECT_FALSE(o.json().contains("data")) << o.name();
  ASSERT_EQ(pages_when_cut.size(), 25u);
  for (size_t i = 0; i < pages_when_cut.size(); ++i) EXPECT_EQ(pages_when_cut[i], i / 10 + 1) << "item " << i;
}

TEST(KubeClient, ServerSideApplyOwnsFieldsAndReportsConflicts) {
  Client c = make_client();
  make_namespace(c, "ssa");
  auto a = c.apply(config_map("ssa", "owned", {{"x", "1"}}), true, "someone-else");
  ASSERT_TRUE(a.has_value()) << a.error().str();
  auto conflict = c.apply(config_map("ssa", "owned", {{"x", "2"}}), /*force=*/false);
  ASSERT_FALSE(conflict.has_value());
  EXPECT_TRUE(conflict.error().conflict()) << conflict.error().str();
  auto forced = c.apply(config_map("ssa", "owned", {{"x", "2"}}));
  ASSERT_TRUE(forced.has_value()) << forced.error().str();
  EXPECT_EQ(forced->json()["data"]["x"], "2");
  bool slime_manages = false;
  for (auto& mf : forced->json()["metadata"]["managedFields"]) slime_manages |= mf.value("manager", "") == "slime";
  EXPECT_TRUE(slime_manages);
  // Re-applying the same intent is a no-op for the server: the resourceVersion does not move.
  auto same = c.apply(config_map("ssa", "owned", {{"x", "2"}}));
  ASSERT_TRUE(same.has_value());
  EXPECT_EQ(same->resource_version(), forced->resource_version());
}

TEST(KubeClient, DiscoveryResolvesBuiltinsAndRejectsUnknownKinds) {
  Client c = make_client();
  auto cm = c.resource(kConfigMap);
  ASSERT_TRUE(cm.has_value());
  EXPECT_EQ(cm->plural, "configmaps");
  EXPECT_TRUE(cm->namespaced);
  auto ns = c.resource(kNamespace);
  ASSERT_TRUE(ns.has_value());
  EXPECT_FALSE(ns->namespaced);
  auto lease = c.resource({"coordination.k8s.io", "v1", "Lease"});
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->plural, "leases");
  auto bogus = c.resource({"nope.example.com", "v1", "Thing"});
  ASSERT_FALSE(bogus.has_value());
  EXPECT_TRUE(bogus.error().not_found());
}

TEST(KubeClient, StatusSubresourceOnCustomResources) {
  Client c = make_client();
  // A tiny CRD keeps this test independent of Istio's and Slime's schemas.
  Json crd = Json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.test.slime.io"},
    "spec": {"group": "test.slime.io", "scope": "Namespaced",
      "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
      "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}})");
  ASSERT_TRUE(c.apply(Object(crd)).has_value());
  make_namespace(c, "status");
  Object w("test.slime.io/v1", "Widget", "status", "w1");
  w.json()["spec"] = {{"size", 1}};
  std::optional<Object> created;
  for (int i = 0; i < 100 && !created; ++i) {  // the CRD needs a moment to be served
    auto r = c.create(w);
    if (r) created = *r;
    else std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(created.has_value());
  // Status written through the main resource is ignored; through /status it sticks.
  Object with_status = *created;
  with_status.json()["status"] = {{"phase", "Ready"}};
  auto main_put = c.update(with_status);
  ASSERT_TRUE(main_put.has_value());
  EXPECT_FALSE(main_put->json().contains("status") && main_put->json()["status"].contains("phase"));
  Object st("test.slime.io/v1", "Widget", "status", "w1");
  st.json()["status"] = {{"phase", "Ready"}};
  auto applied = c.apply_status(st);
  ASSERT_TRUE(applied.has_value()) << applied.error().str();
  EXPECT_EQ(applied->json()["status"]["phase"], "Ready");
  EXPECT_EQ(applied->json()["spec"]["size"], 1);
}

TEST(KubeClient, WatchDeliversChangesFromTheListResourceVersion) {
  Client c = make_client();
  make_namespace(c, "watch");
  auto l = c.list(kConfigMap, {.ns = "watch", .label_selector = {}, .field_selector = {}, .page_size = 0});
  ASSERT_TRUE(l.has_value());
  std::atomic<bool> cancel{false};
  std::vector<std::pair<WatchEventType, std::string>> seen;
  std::mutex mu;
  std::thread watcher([&] {
    auto r = c.watch(kConfigMap, {.ns = "watch", .label_selector = {}, .field_selector = {}, .page_size = 0},
                     l->resource_version,
                     [&](const WatchEvent& ev) {
                       std::lock_guard lock(mu);
                       if (ev.type != WatchEventType::kBookmark) seen.emplace_back(ev.type, ev.object.name());
                       return seen.size() < 3;
                     },
                     &cancel, 30);
    EXPECT_TRUE(r.has_value());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(c.create(config_map("watch", "w", {{"a", "1"}})).has_value());
  ASSERT_TRUE(c.apply(config_map("watch", "w", {{"a", "2"}})).has_value());
  ASSERT_TRUE(c.remove(kConfigMap, "watch", "w").has_value());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(mu);
      if (seen.size() >= 3) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  cancel = true;
  watcher.join();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].first, WatchEventType::kAdded);
  EXPECT_EQ(seen[1].first, WatchEventType::kModified);
  EXPECT_EQ(seen[2].first, WatchEventType::kDeleted);
}

TEST(KubeClient, WatchFromAResourceVersionOlderThanTheRestartedServerIsGone) {
  Client c = make_client();
  ASSERT_TRUE(c.apply(config_map("default", "before-restart", {})).has_value());
  // A restarted apiserver's watch cache starts at the current revision: older ones are Expired.
  ASSERT_TRUE(server().restart_apiserver().has_value());
  std::atomic<bool> cancel{false};
  auto r = c.watch(kConfigMap, {}, "1", [](const WatchEvent&) { return true; }, &cancel, 5);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(r.error().gone()) << r.error().str();
}

TEST(KubeClient, CancelledWatchReturnsPromptly) {
  Client c = make_client();
  std::atomic<bool> cancel{false};
  auto start = std::chrono::steady_clock::now();
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  auto l = c.list(kConfigMap, {.ns = "default", .label_selector = {}, .field_selector = {}, .page_size = 0});
  ASSERT_TRUE(l.has_value());
  (void)c.watch(kConfigMap, {.ns = "default", .label_selector = {}, .field_selector = {}, .page_size = 0},
                l->resource_version, [](const WatchEvent&) { return true; }, &cancel, 60);
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(KubeClient, EventsAreRecordedAgainstTheirObject) {
  Client c = make_client();
  make_namespace(c, "events");
  auto cm = c.create(config_map("events", "subject", {}));
  ASSERT_TRUE(cm.has_value());
  ASSERT_TRUE(c.record_event(*cm, "Warning", "InvalidSpec", "spec.x: expected a string").has_value());
  auto evs = c.list({"", "v1", "Event"}, {.ns = "events", .label_selector = {}, .field_selector = {}, .page_size = 0});
  ASSERT_TRUE(evs.has_value());
  ASSERT_EQ(evs->items.size(), 1u);
  EXPECT_EQ(evs->items[0].json()["reason"], "InvalidSpec");
  EXPECT_EQ(evs->items[0].json()["involvedObject"]["uid"], cm->uid());
}

TEST(KubeClient, ClientSideQpsLimitThrottles) {
  auto cfg = load_kubeconfig(server().kubeconfig());
  ASSERT_TRUE(cfg.has_value());
  Client c(*cfg, /*qps=*/20, /*burst=*/1);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(c.get(kNamespace, "", "default").has_value());
  // 10 waits of 50 ms at least; generous bound on the other side is not asserted (timing-free).
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(450));
}

}  // namespace
}  // namespace slime::kube

namespace slime::kube {
namespace {

std::string base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

std::string read_all(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(KubeClient, KubeconfigWithEmbeddedCertificateData) {
  std::string pki = server().dir() + "/pki/";
  auto base = load_kubeconfig(server().kubeconfig());
  ASSERT_TRUE(base.has_value());
  std::string path = server().dir() + "/kubeconfig-data";
  std::ofstream(path) << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                      << "clusters:\n- name: k\n  cluster:\n    server: " << base->server
                      << "\n    certificate-authority-data: " << base64(read_all(pki + "ca.crt"))
                      << "\nusers:\n- name: u\n  user:\n    client-certificate-data: " << base64(read_all(pki + "client.crt"))
                      << "\n    client-key-data: " << base64(read_all(pki + "client.key"))
                      << "\ncontexts:\n- name: c\n  context: {cluster: k, user: u, namespace: team}\n";
  auto cfg = load_kubeconfig(path);
  ASSERT_TRUE(cfg.has_value()) << cfg.error().str();
  EXPECT_EQ(cfg->ns, "team");
  Client c(*cfg);
  auto l = c.list(kNamespace);
  ASSERT_TRUE(l.has_value()) << l.error().str();
}

TEST(KubeClient, InClusterServiceAccountFilesAuthenticate) {
  // The files a pod gets, pointed at the envtest server (its token user is in system:masters).
  std::string sa = server().dir() + "/serviceaccount";
  std::filesystem::create_directories(sa);
  std::filesystem::copy_file(server().dir() + "/pki/ca.crt", sa + "/ca.crt",
                             std::filesystem::copy_options::overwrite_existing);
  std::ofstream(sa + "/token") << "slime-envtest-token\n";
  std::ofstream(sa + "/namespace") << "kube-system";
  auto base = load_kubeconfig(server().kubeconfig());
  ASSERT_TRUE(base.has_value());
  std::string hostport = base->server.substr(std::string("https://").size());
  setenv("KUBERNETES_SERVICE_HOST", hostport.substr(0, hostport.rfind(':')).c_str(), 1);
  setenv("KUBERNETES_SERVICE_PORT", hostport.substr(hostport.rfind(':') + 1).c_str(), 1);
  auto cfg = in_cluster_config(sa);
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().str();
  EXPECT_EQ(cfg->ns, "kube-system");
  Client c(*cfg);
  EXPECT_TRUE(c.get(kNamespace, "", "kube-system").has_value());
  EXPECT_FALSE(in_cluster_config(sa).has_value()) << "outside a pod (no env) it must refuse";
}

TEST(KubeClient, BrokenKubeconfigsAreErrorsNotCrashes) {
  std::string dir = server().dir();
  std::vector<std::string> bad = {
      "", "[1, 2", "apiVersion: v1\nkind: Config\n", "current-context: x\ncontexts: 5\n",
      "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nclusters:\n- name: k\n  cluster: {}\n",
      "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nclusters:\n- name: k\n  cluster: "
      "{server: 'https://x', certificate-authority-data: '!!notbase64'}\n",
      "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nclusters:\n- name: k\n  cluster: "
      "{server: 'https://x'}\nusers:\n- name: u\n  user: {exec: {command: aws}}\n"};
  for (size_t i = 0; i < bad.size(); ++i) {
    std::string p = dir + "/bad-" + std::to_string(i);
    std::ofstream(p) << bad[i];
    EXPECT_FALSE(load_kubeconfig(p).has_value()) << bad[i];
  }
  EXPECT_FALSE(load_kubeconfig(dir + "/does-not-exist").has_value());
}

}  // namespace
}  // namespace slime::kube

// Every module end to end on a real apiserver, driven by the `slime run` binary: for selected golden
// cases (test/golden/<module>/<case>/: config.yaml, input.yaml, expected.yaml), a pristine cluster
// gets Istio's and Slime's CRDs and the case's inputs; `slime run --kubeconfig` must then make every
// expected object exist with the expected content (the same objects `slime render` prints), and no
// other object marked as the module's may exist. A case whose module is not compiled into this build is
// skipped.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>

#include "envtest_server.h"
#include "slime/core/json_diff.h"
#include "slime/core/yaml.h"
#include "slime/kube/cluster_config.h"
#include "slime/modules/registry.h"
#include "slime/runtime/object_diff.h"
#include "slime/store/owner_marks.h"

#ifndef SLIME_BINARY_DIR
#error "SLIME_BINARY_DIR must be defined"
#endif

namespace slime::runtime {
namespace {

namespace fs = std::filesystem;
using core::Json;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Json> documents(const fs::path& p) {
  std::vector<Json> out;
  auto parsed = core::parse_yaml_documents(slurp(p), p.string());
  for (auto& d : parsed.documents) {
    if (d.json.is_object() && d.json.value("kind", "") == "List" && d.json.contains("items"))
      for (auto& i : d.json["items"]) out.push_back(i);
    else out.push_back(std::move(d.json));
  }
  return out;
}

// The pieces the apiserver insists on and a golden input (rendered offline) may leave out.
Json make_admissible(Json doc) {
  if (doc.value("kind", "") == "Pod" && doc.value("apiVersion", "") == "v1") {
    auto& spec = doc["spec"];
    if (!spec.is_object()) spec = Json::object();
    if (!spec.contains("containers")) spec["containers"] = Json::array({{{"name", "app"}, {"image", "app:test"}}});
  }
  return doc;
}

// Objects the apiserver refuses (422: the CRD's schema already rejects them) are skipped and
// returned: on a real cluster they never reach Slime.
core::Result<std::set<std::string>> apply_inputs(kube::Client& c, const std::vector<Json>& docs, bool tolerate) {
  std::set<std::string> rejected;
  // Namespaces first: everything else lives in one.
  std::set<std::string> namespaces;
  for (auto& d : docs)
    if (d.is_object() && d.contains("metadata") && d["metadata"].is_object() && d["metadata"].contains("namespace"))
      namespaces.insert(d["metadata"]["namespace"].get<std::string>());
  for (auto& d : docs)
    if (d.value("kind", "") == "Namespace") namespaces.erase(d["metadata"].value("name", ""));
  for (auto& ns : namespaces)
    if (auto r = c.apply(core::Object("v1", "Namespace", "", ns), true, "golden-input"); !r)
      return core::fail("namespace " + ns + ": " + r.error().str());
  std::vector<Json> ordered;
  for (auto& d : docs)
    if (d.value("kind", "") == "Namespace") ordered.push_back(d);
  for (auto& d : docs)
    if (d.value("kind", "") != "Namespace") ordered.push_back(d);
  for (auto& d : ordered) {
    auto obj = core::Object::from_json(make_admissible(d));
    if (!obj) return std::unexpected(obj.error());
    auto applied = c.apply(*obj, true, "golden-input");
    // Schema violations come back as 422, or as 500 "failed to create typed patch object" from
    // server-side apply when a field has the wrong type.
    if (!applied && (applied.error().code == 422 || (tolerate && !applied.error().transport()))) {
      rejected.insert(obj->ref());
      continue;
    }
    if (!applied) return core::fail("apply " + obj->ref() + ": " + applied.error().str());
    // Inputs may carry a status the modules read (pod IPs, readiness, a fence's learned hosts).
    if (d.contains("status") && d["status"].is_object() && !d["status"].empty()) {
      core::Object st(obj->api_version(), obj->kind(), obj->ns(), obj->name());
      st.json()["status"] = d["status"];
      if (auto r = c.apply_status(st, true, "golden-input"); !r)
        return core::fail("status of " + obj->ref() + ": " + r.error().str());
    }
  }
  return rejected;
}

struct Process {
  pid_t pid = -1;
  fs::path log;
  ~Process() { stop(); }
  void stop() {
    if (pid <= 0) return;
    kill(pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) != pid; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    kill(pid, SIGKILL);
    waitpid(pid, &status, WNOHANG);
    pid = -1;
  }
};

void start_slime(Process& p, const std::string& kubeconfig, const fs::path& config, const fs::path& log) {
  p.log = log;
  p.pid = fork();
  if (p.pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    dup2(fileno(stderr), fileno(stdout));
    std::string bin = std::string(SLIME_BINARY_DIR) + "/bin/slime";
    std::vector<std::string> args{"slime", "run", "--kubeconfig", kubeconfig, "--admin-addr", "127.0.0.1:0", "--als-addr", "off"};
    if (fs::exists(config)) {
      args.push_back("--config");
      args.push_back(config.string());
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
}

Json without_status(Json doc) {
  doc.erase("status");
  return doc;
}

class ModuleEndToEnd : public ::testing::TestWithParam<std::string> {};

// Cases with invalid resources: the apiserver's schema validation and pruning change what Slime
// sees, so only the Events are compared, not the offline golden output.
bool events_only(const std::string& c) { return c.find("invalid") != std::string::npos; }

TEST_P(ModuleEndToEnd, SlimeRunProducesTheGoldenObjectsOnARealApiserver) {
  fs::path dir = fs::path(slime::testing::source_dir()) / "test/golden" / GetParam();
  std::string module = GetParam().substr(0, GetParam().find('/'));
  auto kinds = modules::available_kinds();
  if (!fs::exists(dir / "expected.yaml") || std::find(kinds.begin(), kinds.end(), module) == kinds.end())
    GTEST_SKIP() << "module " << module << " or case " << GetParam() << " not in this build";
  if (!fs::is_directory(fs::path(slime::testing::source_dir()) / "api/crds"))
    GTEST_SKIP() << "Slime's CRDs (api/crds/) are not in this tree";

  auto server = slime::testing::EnvtestServer::start_private();
  ASSERT_TRUE(server.has_value()) << server.error().str();
  kube::Client c(kube::load_kubeconfig((*server)->kubeconfig()).value());
  ASSERT_TRUE(slime::testing::EnvtestServer::install_istio_and_slime_crds(c).has_value());
  auto inputs = apply_inputs(c, documents(dir / "input.yaml"), events_only(GetParam()));
  ASSERT_TRUE(inputs.has_value()) << inputs.error().str();

  Process slime;
  start_slime(slime, (*server)->kubeconfig(), dir / "config.yaml", fs::path((*server)->dir()) / "slime.log");
  std::vector<Json> expected = documents(dir / "expected.yaml");
  ASSERT_FALSE(expected.empty());
  std::string last_mismatch;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool all = events_only(GetParam());
  if (all) std::this_thread::sleep_for(std::chrono::seconds(3));
  while (!all && std::chrono::steady_clock::now() < deadline) {
    all = true;
    for (auto& e : expected) {
      auto obj = core::Object::from_json(e);
      if (!obj) {
        last_mismatch = "expected.yaml has an object that does not parse: " + obj.error().str();
        all = false;
        break;
      }
      auto live = c.get(obj->gvk(), obj->ns(), obj->name());
      if (!live) {
        last_mismatch = obj->ref() + ": " + live.error().str();
        all = false;
        break;
      }
      if (!contains_desired(without_status(e), live->json())) {
        Json live_doc = live->json();
        live_doc["metadata"].erase("managedFields");
        auto diff = core::json_diff(without_status(e), live_doc, 10);
        last_mismatch = obj->ref() + " differs:\n";
        for (auto& d : diff) last_mismatch += "  " + d + "\n";
        all = false;
        break;
      }
    }
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(all) << last_mismatch << "\n--- slime log ---\n" << slurp(slime.log);

  // Exactly the expected objects: everything the module marked as its own must be expected too.
  if (!events_only(GetParam())) {
    // Generated objects only: a case rendered with `--all` (options.yaml) also lists its inputs, which are
    // the user's and never marked.
    std::set<std::string> input_refs, wanted;
    for (auto& d : documents(dir / "input.yaml"))
      if (auto obj = core::Object::from_json(d)) input_refs.insert(obj->ref());
    for (auto& e : expected)
      if (auto obj = core::Object::from_json(e); obj && !input_refs.contains(obj->ref())) wanted.insert(obj->ref());
    const auto& catalog = modules::catalog();
    auto info = std::find_if(catalog.begin(), catalog.end(), [&](const auto& m) { return m.kind == module; });
    ASSERT_NE(info, catalog.end());
    size_t marked = 0;
    for (const auto& gk : info->writes) {
      auto gvk = c.discovery().preferred(gk);
      if (!gvk) continue;  // not served: nothing of it was written
      auto listed = c.list(*gvk, {.ns = {}, .label_selector = store::owner_selector(module), .field_selector = {},
                                  .page_size = 0});
      ASSERT_TRUE(listed.has_value()) << listed.error().str();
      for (auto& o : listed->items) {
        EXPECT_TRUE(wanted.count(o.ref())) << "slime run wrote " << o.ref() << ", which expected.yaml does not have";
        ++marked;
      }
    }
    // Every expected object was found above, and each carries the marks: the list is not vacuous.
    EXPECT_EQ(marked, wanted.size());
  }

  // Problems the golden case expects for a named object must reach its owner as a Warning Event.
  if (fs::exists(dir / "errors.txt")) {
    std::istringstream lines(slurp(dir / "errors.txt"));
    std::string line;
    std::regex named(R"(^(\w+) ([a-z0-9.-]+)/([a-z0-9.-]+): )");
    int checked = 0;
    while (std::getline(lines, line)) {
      std::smatch m;
      if (!std::regex_search(line, m, named)) continue;
      std::string kind = m[1], ns = m[2], name = m[3];
      if (inputs->count(kind + " " + ns + "/" + name)) continue;  // refused by the apiserver itself
      bool found = false;
      for (int i = 0; i < 100 && !found; ++i) {
        auto evs = c.list({"", "v1", "Event"}, {.ns = ns, .label_selector = {}, .field_selector = {}, .page_size = 0});
        if (evs)
          for (auto& ev : evs->items)
            found |= ev.json()["involvedObject"].value("kind", "") == kind &&
                     ev.json()["involvedObject"].value("name", "") == name && ev.json().value("type", "") == "Warning";
        if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      ++checked;
      EXPECT_TRUE(found) << "no Warning Event for " << kind << " " << ns << "/" << name << " (" << line << ")";
    }
    std::cout << "checked Warning Events for " << checked << " expected problems\n";
  }
  slime.stop();
}

INSTANTIATE_TEST_SUITE_P(Golden, ModuleEndToEnd,
                         ::testing::Values("lazyload/envtest-autofence-base", "limiter/method-local",
                                           "limiter/endpointslice-ready-pods", "plugin/ep_targets",
                                           "plugin/invalid_resources"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (auto& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
}  // namespace slime::runtime

#include "envtest_server.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "slime/core/yaml.h"

#ifndef SLIME_SOURCE_DIR
#error "SLIME_SOURCE_DIR must be defined by the build"
#endif

namespace slime::testing {
namespace {
EnvtestServer* g_shared = nullptr;

core::Result<void> run_script(const std::string& script, const std::string& args, const std::string& env = {}) {
  std::string cmd = env + (env.empty() ? "" : " ") + source_dir() + "/tools/envtest/" + script + " " + args;
  int rc = std::system(cmd.c_str());
  if (rc != 0) return core::fail(cmd + " failed with status " + std::to_string(rc));
  return {};
}
}  // namespace

std::string source_dir() { return SLIME_SOURCE_DIR; }

core::Result<std::unique_ptr<EnvtestServer>> EnvtestServer::start_private() {
  char tmpl[] = "/tmp/slime-envtest-XXXXXX";
  if (!mkdtemp(tmpl)) return core::fail("mkdtemp failed");
  auto s = std::unique_ptr<EnvtestServer>(new EnvtestServer());
  s->dir_ = tmpl;
  if (auto r = run_script("start.sh", s->dir_); !r) {
    s->stop();
    return std::unexpected(r.error());
  }
  return s;
}

void EnvtestServer::stop() {
  if (dir_.empty()) return;
  (void)run_script("stop.sh", dir_);
  // SLIME_ENVTEST_KEEP=1 keeps logs and data for a post-mortem.
  if (!std::getenv("SLIME_ENVTEST_KEEP")) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  dir_.clear();
}

EnvtestServer::~EnvtestServer() { stop(); }

core::Result<EnvtestServer*> EnvtestServer::start_shared() {
  if (g_shared) return g_shared;
  auto s = start_private();
  if (!s) return std::unexpected(s.error());
  g_shared = s->release();
  return g_shared;
}

void EnvtestServer::stop_shared() {
  delete g_shared;  // the destructor stops the servers
  g_shared = nullptr;
}

core::Result<void> EnvtestServer::stop_apiserver() { return run_script("stop.sh", dir_ + " apiserver"); }
core::Result<void> EnvtestServer::start_apiserver(const std::string& extra_flags) {
  std::string env = extra_flags.empty() ? "" : "SLIME_ENVTEST_APISERVER_FLAGS='" + extra_flags + "'";
  return run_script("start.sh", dir_ + " apiserver", env);
}
core::Result<void> EnvtestServer::start_second_apiserver() { return run_script("start.sh", dir_ + " apiserver2"); }

std::string EnvtestServer::etcd_url() const {
  std::ifstream in(dir_ + "/env");
  std::string line;
  const std::string key = "ETCD_CLIENT_PORT=";
  while (std::getline(in, line))
    if (line.starts_with(key)) return "http://127.0.0.1:" + line.substr(key.size());
  return {};
}
core::Result<void> EnvtestServer::restart_apiserver() {
  if (auto r = stop_apiserver(); !r) return r;
  return start_apiserver();
}

core::Result<void> EnvtestServer::install_crds(kube::Client& client, const std::string& yaml_path) {
  std::ifstream in(yaml_path);
  if (!in) return core::fail("cannot read " + yaml_path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = core::parse_yaml_documents(ss.str(), yaml_path);
  if (!parsed.errors.empty()) return std::unexpected(parsed.errors.front());
  std::vector<std::string> names;
  for (auto& doc : parsed.documents) {
    auto obj = core::Object::from_json(doc.json);
    if (!obj) return std::unexpected(obj.error());
    // Server-side apply tolerates re-installing the same CRDs (several test programs, reruns).
    auto applied = client.apply(*obj);
    if (!applied) return core::fail("apply " + obj->ref() + ": " + applied.error().str());
    if (obj->kind() == "CustomResourceDefinition") names.push_back(obj->name());
  }
  core::Gvk crd{"apiextensions.k8s.io", "v1", "CustomResourceDefinition"};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (const auto& name : names) {
    for (;;) {
      auto got = client.get(crd, "", name);
      bool established = false;
      if (got) {
        const auto& conds = got->status().is_object() ? got->status().value("conditions", core::Json::array())
                                                       : core::Json::array();
        for (const auto& c : conds)
          if (c.is_object() && c.value("type", "") == "Established" && c.value("status", "") == "True")
            established = true;
      }
      if (established) break;
      if (std::chrono::steady_clock::now() > deadline) return core::fail("CRD " + name + " not established in 30s");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return {};
}

core::Result<void> EnvtestServer::install_istio_and_slime_crds(kube::Client& client) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files{fs::path(source_dir()) / "tools/envtest/bin/istio-crds.yaml"};
  fs::path slime_crds = fs::path(source_dir()) / "api/crds";
  std::error_code ec;
  if (fs::is_directory(slime_crds, ec))
    for (auto& e : fs::directory_iterator(slime_crds))
      if (e.path().extension() == ".yaml" && e.path().filename() != "kustomization.yaml") files.push_back(e.path());
  for (auto& f : files)
    if (auto r = install_crds(client, f.string()); !r) return r;
  return {};
}

}  // namespace slime::testing

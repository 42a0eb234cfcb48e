// The boot module's clean-up on a manifest directory (no finalizers there: deletion is immediate):
// a SlimeBoot deleted while Slime runs, or while it does not, loses every object it rendered.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "slime/runtime/manager.h"
#include "slime/store/manifest_dir.h"

namespace slime::boot {
std::unique_ptr<core::Module> make_module();
}

namespace slime::runtime {
namespace {

namespace fs = std::filesystem;

bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

std::string slimeboot(const std::string& name) {
  return "apiVersion: config.netease.com/v1alpha1\nkind: SlimeBoot\nmetadata: {name: " + name +
         ", namespace: mesh-operator}\nspec:\n  module: [{name: " + name + ", kind: " + name + ", enable: true}]\n";
}

class BootCleanupOnManifestDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/slime-bootclean-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    core::ModuleConfig c;
    c.name = c.kind = "boot";
    c.enable = true;
    ASSERT_TRUE(module_->configure(c).has_value());
  }
  void TearDown() override {
    stop();
    fs::remove_all(dir_);
  }
  void start() {
    cluster_ = std::make_unique<store::ManifestDirCluster>(dir_.string());
    manager_ = std::make_unique<Manager>(*cluster_, std::vector<core::Module*>{module_.get()}, metrics_);
    ASSERT_TRUE(manager_->start().has_value());
    manager_->set_leading(true);
  }
  void stop() {
    if (manager_) manager_->stop();
    manager_.reset();
    cluster_.reset();
  }
  void write(const std::string& name) { std::ofstream(dir_ / (name + ".yaml")) << slimeboot(name); }
  // The objects a plugin entry renders, as generated files.
  std::vector<fs::path> files(const std::string& name) {
    fs::path g = dir_ / "generated";
    return {g / "mesh-operator" / ("deployment.apps_" + name + ".yaml"), g / "mesh-operator" / ("configmap_" + name + ".yaml"),
            g / "mesh-operator" / ("service_" + name + ".yaml"),
            g / "_cluster" / ("clusterrolebinding.rbac.authorization.k8s.io_" + name + ".yaml")};
  }
  bool all_exist(const std::string& name) {
    for (auto& f : files(name))
      if (!fs::exists(f)) return false;
    return true;
  }
  bool none_exist(const std::string& name) {
    for (auto& f : files(name))
      if (fs::exists(f)) return false;
    return true;
  }

  fs::path dir_;
  std::unique_ptr<core::Module> module_ = boot::make_module();
  Metrics metrics_;
  std::unique_ptr<store::ManifestDirCluster> cluster_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(BootCleanupOnManifestDir, DeletedWhileRunning) {
  write("plugin");
  start();
  ASSERT_TRUE(eventually([&] { return all_exist("plugin"); }));
  fs::remove(dir_ / "plugin.yaml");
  EXPECT_TRUE(eventually([&] { return none_exist("plugin"); }));
}

TEST_F(BootCleanupOnManifestDir, DeletedWhileStoppedIsCleanedUpOnStart) {
  write("plugin");
  write("limiter");
  start();
  ASSERT_TRUE(eventually([&] { return all_exist("plugin") && all_exist("limiter"); }));
  ASSERT_TRUE(eventually([&] { return manager_->idle(); }));
  stop();
  fs::remove(dir_ / "plugin.yaml");
  start();
  // By the first pass itself (no sweep_orphans here): its objects carry the SlimeBoot's annotation.
  EXPECT_TRUE(eventually([&] { return none_exist("plugin"); }));
  ASSERT_TRUE(eventually([&] { return manager_->idle(); }));
  EXPECT_TRUE(all_exist("limiter"));
}

}  // namespace
}  // namespace slime::runtime

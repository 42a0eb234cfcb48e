// The controller runtime on a manifest directory (no cluster): files in, generated files out, while
// running: edits, additions, deletions, malformed files, problems, statuses, and restarts.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "slime/core/yaml.h"
#include "slime/runtime/manager.h"
#include "slime/store/manifest_dir.h"
#include "support/echo_module.h"

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

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string source_yaml(const std::string& name, const std::string& value, const std::string& ns = "default") {
  return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\n  labels:\n    slime-test/echo: \"true\"\ndata:\n  k: \"" + value + "\"\n";
}

class ManifestDirRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/slime-mdr-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    stop();
    fs::remove_all(dir_);
  }
  void start() {
    cluster_ = std::make_unique<store::ManifestDirCluster>(dir_.string());
    manager_ = std::make_unique<Manager>(*cluster_, std::vector<core::Module*>{&module_}, metrics_);
    ASSERT_TRUE(manager_->start().has_value());
    manager_->set_leading(true);
  }
  void stop() {
    if (manager_) manager_->stop();
    manager_.reset();
    cluster_.reset();
  }
  fs::path generated(const std::string& name, const std::string& ns = "default") {
    return dir_ / "generated" / ns / ("configmap_" + name + ".yaml");
  }
  core::Json generated_doc(const std::string& name) {
    auto doc = core::parse_yaml(read(generated(name)));
    return doc ? *doc : core::Json();
  }

  fs::path dir_;
  slime::testing::EchoModule module_;
  Metrics metrics_;
  std::unique_ptr<store::ManifestDirCluster> cluster_;
  std::unique_ptr<Manager> manager_;
};

TEST_F(ManifestDirRuntime, GeneratesOneReadableFilePerObject) {
  write(dir_ / "app.yaml", source_yaml("app", "1"));
  start();
  ASSERT_TRUE(eventually([&] { return fs::exists(generated("app-copy")); }));
  auto doc = generated_doc("app-copy");
  EXPECT_EQ(doc["data"]["k"], "1");
  EXPECT_EQ(doc["metadata"]["labels"]["slime-test/copy-of"], "app");
  EXPECT_EQ(read(generated("app-copy")).rfind("apiVersion: v1\nkind: ConfigMap\n", 0), 0u) << read(generated("app-copy"));
}

TEST_F(ManifestDirRuntime, PicksUpEditsAdditionsAndDeletionsWhileRunning) {
  write(dir_ / "app.yaml", source_yaml("app", "1"));
  start();
  ASSERT_TRUE(eventually([&] { return fs::exists(generated("app-copy")); }));

  write(dir_ / "app.yaml", source_yaml("app", "2"));
  ASSERT_TRUE(eventually([&] { return generated_doc("app-copy")["data"]["k"] == "2"; }));

  write(dir_ / "more" / "other.yaml", source_yaml("other", "x", "team"));  // a new subdirectory too
  ASSERT_TRUE(eventually([&] { return fs::exists(generated("other-copy", "team")); }));

  fs::remove(dir_ / "app.yaml");
  ASSERT_TRUE(eventually([&] { return !fs::exists(generated("app-copy")); }));
  EXPECT_TRUE(fs::exists(generated("other-copy", "team")));
}

TEST_F(ManifestDirRuntime, MalformedFilesAndInvalidObjectsDoNotBlockTheRest) {
  write(dir_ / "broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n");
  write(dir_ / "noname.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
  write(dir_ / "bad.yaml", source_yaml("bad", "x") + "  invalid: \"yes\"\n");
  write(dir_ / "good.yaml", source_yaml("good", "1"));
  start();
  ASSERT_TRUE(eventually([&] { return fs::exists(generated("good-copy")); }));
  EXPECT_FALSE(fs::exists(generated("bad-copy")));
  EXPECT_GE(cluster_->load_errors().size(), 2u);
  ASSERT_TRUE(eventually([&] { return !cluster_->problems().empty(); }));
  EXPECT_NE(cluster_->problems().front().find("ConfigMap default/bad"), std::string::npos);
  // Breaking a good file later keeps its last good state out of the world (the file is unreadable)
  // but never stops the controller: fixing it brings it back.
  write(dir_ / "bad.yaml", source_yaml("bad", "fixed"));
  ASSERT_TRUE(eventually([&] { return fs::exists(generated("bad-copy")); }));
}

TEST_F(ManifestDirRuntime, StatusesAreWrittenAsOverlaysAndSurviveRestarts) {
  write(dir_ / "w.yaml", "apiVersion: test.slime.io/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: default\nspec:\n  size: 3\n");
  start();
  fs::path st = dir_ / "generated" / "status" / "default" / "widget.test.slime.io_w.yaml";
  ASSERT_TRUE(eventually([&] { return fs::exists(st); }));
  auto doc = core::parse_yaml(read(st));
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ((*doc)["status"]["observedSize"], 3);
  stop();
  start();
  auto w = cluster_->store().find({{"test.slime.io", "Widget"}, "default", "w"});
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status()["observedSize"], 3);
}

TEST_F(ManifestDirRuntime, RestartWritesNothingNewAndPrunesOrphansOfDeletedSources) {
  write(dir_ / "a.yaml", source_yaml("a", "1"));
  write(dir_ / "b.yaml", source_yaml("b", "1"));
  start();
  ASSERT_TRUE(eventually([&] { return fs::exists(generated("a-copy")) && fs::exists(generated("b-copy")); }));
  ASSERT_TRUE(eventually([&] { return manager_->idle(); }));
  stop();
  auto mtime = fs::last_write_time(generated("a-copy"));
  fs::remove(dir_ / "b.yaml");  // deleted while Slime is not running
  start();
  ASSERT_TRUE(eventually([&] { return manager_->idle(); }));
  EXPECT_EQ(manager_->sweep_orphans(), 1u);
  EXPECT_FALSE(fs::exists(generated("b-copy")));
  EXPECT_TRUE(fs::exists(generated("a-copy")));
  EXPECT_EQ(fs::last_write_time(generated("a-copy")), mtime) << "an unchanged object was rewritten";
}

}  // namespace
}  // namespace slime::runtime

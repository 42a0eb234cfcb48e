// Drives the real `slime` binary: exit codes, stdout and the error messages a user sees.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "slime/core/yaml.h"

namespace {
namespace fs = std::filesystem;

struct Run {
  int status = -1;
  std::string out;
  std::string err;
};

Run slime(const std::string& args, const std::string& stdin_text = {}) {
  fs::path tmp = fs::temp_directory_path() / ("slime-cli-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  std::ofstream(tmp / "stdin") << stdin_text;
  std::string cmd = std::string(SLIME_BINARY_DIR) + "/bin/slime " + args + " <" + (tmp / "stdin").string() + " >" +
                    (tmp / "out").string() + " 2>" + (tmp / "err").string();
  Run r;
  int raw = std::system(cmd.c_str());
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(tmp / "out");
  r.err = slurp(tmp / "err");
  fs::remove_all(tmp);
  return r;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slime-cli-in-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

TEST_F(Cli, HelpListsEverySubcommand) {
  auto r = slime("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("render"), std::string::npos);
  EXPECT_NE(r.out.find("version"), std::string::npos);
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(slime("").status, 2);
  EXPECT_EQ(slime("render").status, 2);                  // -f is required
  EXPECT_EQ(slime("render -f x -o xml").status, 2);      // bad output format
  EXPECT_EQ(slime("no-such-command").status, 2);
  auto r = slime("render -f - --config /nonexistent.yaml");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("/nonexistent.yaml"), std::string::npos);
}

TEST_F(Cli, VersionNamesTheModules) {
  auto r = slime("version");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("slime "), std::string::npos);
  EXPECT_NE(r.out.find("modules:"), std::string::npos);
}

TEST_F(Cli, AllPrintsInputsSortedFromStdin) {
  auto r = slime("render -f - --all",
                 "apiVersion: v1\nkind: Service\nmetadata: {name: b, namespace: x}\n---\n"
                 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  auto docs = slime::core::parse_yaml_documents(r.out);
  ASSERT_EQ(docs.documents.size(), 2u) << r.out;
  EXPECT_EQ(docs.documents[0].json["kind"], "ConfigMap");
  EXPECT_EQ(docs.documents[1].json["kind"], "Service");
}

TEST_F(Cli, JsonOutputIsAList) {
  auto r = slime("render -f - --all -o json", "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  auto j = slime::core::Json::parse(r.out);
  EXPECT_EQ(j["kind"], "List");
  EXPECT_EQ(j["items"][0]["metadata"]["name"], "b");
}

TEST_F(Cli, BadInputIsReportedWithItsPlaceAndTheRestStillRenders) {
  write("a-good.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: good, namespace: ns}\n");
  write("b-broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: [oops\n");
  write("c-mixed.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\n# no kind\napiVersion: v1\nmetadata: {name: nokind}\n"
        "---\napiVersion: v1\nkind: Secret\nmetadata: {namespace: ns}\n");
  auto r = slime("render --all -f " + dir_.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("name: good"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("name: fine"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("b-broken.yaml:3: document 0: invalid YAML"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("c-mixed.yaml:6: document 1: kind: missing required field"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("c-mixed.yaml:9: document 2: metadata.name: missing required field"), std::string::npos) << r.err;
}

TEST_F(Cli, ConfigWarnsAboutUnknownKeys) {
  std::string cfg = write("cfg.yaml", "name: plugin\nkind: plugin\nenable: true\nglobal:\n  istioNamespce: x\n");
  auto r = slime("render --all -f - --config " + cfg, "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("warning: " + cfg + ": global.istioNamespce: unknown field"), std::string::npos) << r.err;
}

}  // namespace

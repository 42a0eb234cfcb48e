// examples/canary/ as the docs promise: the mid-way release previewed offline with each metric fixture
// shows the next step (healthy) or a rollback (failing), through the real `slime render --metrics`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "slime/core/yaml.h"

namespace {
namespace fs = std::filesystem;

struct Rendered {
  int status = -1;
  std::vector<slime::core::Json> docs;
  std::string err;
};

Rendered render_example(const std::string& fixture) {
  fs::path src = fs::path(SLIME_SOURCE_DIR) / "examples" / "canary";
  fs::path tmp = fs::temp_directory_path() / ("slime-canary-example-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  // A fixed clock after the status's nextStepTime, so the analysis is due.
  std::string cmd = std::string(SLIME_BINARY_DIR) + "/bin/slime render --all --now 2024-05-01T10:03:30Z -f " +
                    (src / "progressing.yaml").string() + " --metrics " + (src / fixture).string() + " >" +
                    (tmp / "out").string() + " 2>" + (tmp / "err").string();
  int raw = std::system(cmd.c_str());
  Rendered r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  for (auto& d : slime::core::parse_yaml_documents(slurp(tmp / "out")).documents) r.docs.push_back(d.json);
  r.err = slurp(tmp / "err");
  fs::remove_all(tmp);
  return r;
}

const slime::core::Json* find(const Rendered& r, const std::string& kind) {
  for (const auto& d : r.docs)
    if (d["kind"] == kind) return &d;
  return nullptr;
}

int canary_weight(const slime::core::Json& vs) {
  for (const auto& route : vs["spec"]["http"][0]["route"])
    if (route["destination"]["subset"] == "canary") return route["weight"].get<int>();
  return -1;
}

TEST(CanaryExamples, HealthyFixtureShowsTheNextStep) {
  auto r = render_example("metrics-healthy.yaml");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto* release = find(r, "CanaryRelease");
  const auto* vs = find(r, "VirtualService");
  ASSERT_TRUE(release && vs) << r.err;
  EXPECT_EQ((*release)["status"]["phase"], "Progressing");
  EXPECT_EQ((*release)["status"]["weight"], 30);
  EXPECT_EQ((*release)["status"]["step"], 3);
  EXPECT_EQ((*release)["status"]["lastAnalysis"]["verdict"], "Pass");
  EXPECT_EQ(canary_weight(*vs), 30);
  EXPECT_NE(r.err.find("StepAdvanced"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("note: the metric fixture has no value"), std::string::npos) << r.err;
}

TEST(CanaryExamples, FailingFixtureShowsARollback) {
  auto r = render_example("metrics-failing.yaml");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto* release = find(r, "CanaryRelease");
  const auto* vs = find(r, "VirtualService");
  ASSERT_TRUE(release && vs) << r.err;
  EXPECT_EQ((*release)["status"]["phase"], "Failed");
  EXPECT_EQ((*release)["status"]["weight"], 0);
  EXPECT_EQ((*release)["status"]["failedAnalyses"], 2);
  EXPECT_EQ((*release)["status"]["lastAnalysis"]["verdict"], "Fail");
  EXPECT_EQ(canary_weight(*vs), 0);
  // The transitions the preview went through, as Events would tell them.
  auto rolling = r.err.find("Warning RollingBack");
  auto rolled = r.err.find("Warning RolledBack");
  EXPECT_NE(rolling, std::string::npos) << r.err;
  EXPECT_NE(rolled, std::string::npos) << r.err;
  EXPECT_LT(rolling, rolled) << r.err;
}

}  // namespace

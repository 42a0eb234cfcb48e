// The adaptive loop as users run it: a `slime run --state-dir` process whose limiter module has a real
// Prometheus (scraping an exporter this test serves) and `refresh: 1s`. Changing the exported value must
// flip the condition and recompute the quota in DIR/generated/ without any file edit; adding a pod must
// recompute an `average` quota at once (no metric involved).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "prometheus_fixture.h"
#include "slime/core/yaml.h"
#include "test_exporter.h"

#ifndef SLIME_BINARY_DIR
#error "SLIME_BINARY_DIR must be defined"
#endif

namespace slime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string exported(int load) {
  return "# TYPE slime_test_load gauge\nslime_test_load{pod=\"reviews-1\"} " + std::to_string(load) + "\n";
}

constexpr const char* kCluster = R"(apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec:
  selector: {app: reviews}
  ports: [{name: http, port: 9080}]
---
apiVersion: v1
kind: Pod
metadata: {name: reviews-1, namespace: default, labels: {app: reviews}}
status: {phase: Running, podIP: 10.0.0.1}
---
apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: reviews, namespace: default}
spec:
  target: {port: 9080}
  sets:
    _base:
      descriptor:
      - action: {fill_interval: {seconds: 1}, quota: "{{._base.load}}/10", strategy: single}
        condition: "{{._base.load}} > 100"
---
apiVersion: microservice.slime.io/v1alpha2
kind: SmartLimiter
metadata: {name: ratings, namespace: default}
spec:
  workloadSelector: {app: reviews}
  sets:
    _base:
      descriptor:
      - action: {fill_interval: {seconds: 1}, quota: "600", strategy: average}
        condition: "true"
)";

class SlimeRunAdaptive : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(exporter_.ok());
    exporter_.set_body(exported(50));
    prometheus_ = std::make_unique<testing::PrometheusProcess>("127.0.0.1:" + std::to_string(exporter_.port()));
    ASSERT_TRUE(prometheus_->available()) << prometheus_->error();

    char tmpl[] = "/tmp/slime-run-adaptive-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "cluster");
    std::ofstream(dir_ / "cluster" / "reviews.yaml") << kCluster;
    std::ofstream(dir_ / "slime.yaml") << "name: limiter\nkind: limiter\nenable: true\n"
                                          "general: {disableGlobalRateLimit: true, refresh: 1s}\n"
                                          "metric:\n  prometheus:\n    address: "
                                       << prometheus_->address()
                                       << "\n    handlers:\n      load:\n"
                                          "        query: sum(slime_test_load{pod=~\"$pod_name\"})\n";
    log_ = dir_.string() + ".log";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      FILE* f = std::freopen(log_.c_str(), "w", stderr);
      (void)f;
      dup2(fileno(stderr), fileno(stdout));
      std::string bin = std::string(SLIME_BINARY_DIR) + "/bin/slime";
      std::string state = (dir_ / "cluster").string(), config = (dir_ / "slime.yaml").string();
      execl(bin.c_str(), "slime", "run", "--state-dir", state.c_str(), "--config", config.c_str(), "--admin-addr", "",
            "--als-addr", "off", nullptr);
      _exit(127);
    }
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 400 && waitpid(pid_, &status, WNOHANG) != pid_; ++i) std::this_thread::sleep_for(50ms);
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, WNOHANG);
    }
    if (!dir_.empty() && !HasFailure()) {
      fs::remove_all(dir_);
      fs::remove(log_);
    }
  }

  // The generated EnvoyFilter of a limiter, parsed; null while it does not exist.
  std::optional<core::Json> generated_filter(const std::string& name) {
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "cluster" / "generated")) {
      if (!e.is_regular_file() || e.path().filename().string().find(name + ".default.ratelimit") == std::string::npos)
        continue;
      auto docs = core::parse_yaml_documents(slurp(e.path()));
      if (docs.documents.size() == 1) return docs.documents[0].json;
    }
    return std::nullopt;
  }

  // maxTokens of the filter's first bucket; -1 when the filter does not exist.
  int max_tokens(const std::string& name) {
    std::error_code ec;
    if (!fs::exists(dir_ / "cluster" / "generated", ec)) return -1;
    auto f = generated_filter(name);
    if (!f) return -1;
    for (const auto& p : (*f)["spec"]["configPatches"]) {
      const auto& value = p["patch"]["value"];
      if (!value.contains("typed_per_filter_config")) continue;
      return value["typed_per_filter_config"]["envoy.filters.http.local_ratelimit"]["value"]["descriptors"][0]
                  ["tokenBucket"]["maxTokens"]
                      .get<int>();
    }
    return -2;
  }

  // Polls until max_tokens(name) == want, up to 30 s (Prometheus scrapes every second, refresh is 1 s).
  void expect_tokens(const std::string& name, int want) {
    int got = 0;
    for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
      got = max_tokens(name);
      if (got == want) return;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << name << ": maxTokens " << got << ", want " << want << "\n" << slurp(log_);
  }

  testing::TestExporter exporter_;
  std::unique_ptr<testing::PrometheusProcess> prometheus_;
  fs::path dir_, log_;
  pid_t pid_ = -1;
};

TEST_F(SlimeRunAdaptive, TickFollowsPrometheusAndPodChangesApplyAtOnce) {
  // Pod counts only: 600 shared by one ready pod.
  expect_tokens("ratings", 600);
  // load 50: the condition (> 100) is false, no filter for reviews.
  EXPECT_EQ(max_tokens("reviews"), -1);

  // The metric rises: the next tick flips the condition, quota 150/10.
  exporter_.set_body(exported(150));
  expect_tokens("reviews", 15);
  exporter_.set_body(exported(305));
  expect_tokens("reviews", 31);

  // A second ready pod: `average` halves the quota (a store change; it does not wait for a tick).
  std::ofstream(dir_ / "cluster" / "reviews-2.yaml")
      << "apiVersion: v1\nkind: Pod\nmetadata: {name: reviews-2, namespace: default, labels: {app: reviews}}\n"
         "status: {phase: Running, podIP: 10.0.0.2}\n";
  expect_tokens("ratings", 300);

  // Below the threshold again: the filter is pruned.
  exporter_.set_body(exported(1));
  expect_tokens("reviews", -1);
}

}  // namespace
}  // namespace slime

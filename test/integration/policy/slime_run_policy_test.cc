// A policy as users run it: `slime run --state-dir` with a policy definition file, a real Prometheus
// scraping an exporter this test serves, and `refresh: 1s`. The exported error count crossing the
// threshold must make slime write the DestinationRule into DIR/generated/, and falling back must prune
// it; a second policy whose definition is broken must not stop the first. A third, with hysteresis,
// must release its output too once the change has held, although no answer changes by then (the
// module's revisit_at brings the key back).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "prometheus_fixture.h"
#include "slime/core/yaml.h"
#include "slime_process.h"
#include "test_exporter.h"

namespace slime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing::slurp;

std::string exported(int errors) {
  return "# TYPE slime_test_errors gauge\nslime_test_errors{service=\"reviews\"} " + std::to_string(errors) +
         "\nslime_test_errors{service=\"ratings\"} 0\n";
}

constexpr const char* kCluster = R"(apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default, labels: {guard: "on"}}
spec: {selector: {app: reviews}}
---
apiVersion: v1
kind: Service
metadata: {name: ratings, namespace: default, labels: {guard: "on"}}
spec: {selector: {app: ratings}}
)";

constexpr const char* kDefinition = R"(watch:
  apiVersion: v1
  kind: Service
  selector: {matchLabels: {guard: "on"}}
queries:
  errors: 'sum(slime_test_errors{service="{{.metadata.name}}"})'
rules:
- name: failing
  when: "{{.errors}} > 10"
  outputs:
  - apiVersion: networking.istio.io/v1beta1
    kind: DestinationRule
    metadata: {name: "{{.metadata.name}}-guard"}
    spec:
      host: "{{.metadata.name}}.{{.metadata.namespace}}.svc.cluster.local"
      trafficPolicy: {outlierDetection: {consecutive5xxErrors: "=ceil {{.errors}} / 10"}}
refresh: 1s
)";

class SlimeRunPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(exporter_.ok());
    exporter_.set_body(exported(1));
    prometheus_ = std::make_unique<testing::PrometheusProcess>("127.0.0.1:" + std::to_string(exporter_.port()));
    // A missing Prometheus fails the test (scripts/setup.sh installs it): a skip would pass CI unproven.
    ASSERT_TRUE(prometheus_->available()) << prometheus_->error() << " (scripts/setup.sh installs prometheus)";

    char tmpl[] = "/tmp/slime-run-policy-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "cluster");
    std::ofstream(dir_ / "cluster" / "services.yaml") << kCluster;
    std::ofstream(dir_ / "guard.yaml") << kDefinition;
    std::ofstream(dir_ / "broken.yaml") << "watch: {kind: Service}\nrules: []\n";
    std::string held = kDefinition;
    held.replace(held.find("-guard"), 6, "-held");
    std::ofstream(dir_ / "held.yaml") << held << "hysteresis: 2\n";
    std::ofstream(dir_ / "slime.yaml") << "module:\n"
                                          "- {name: broken, kind: policy, enable: true, general: {definition: broken.yaml}}\n"
                                          "- name: guard\n  kind: policy\n  enable: true\n"
                                          "  general: {definition: guard.yaml}\n"
                                          "  metric: {prometheus: {address: \""
                                       << prometheus_->address() << "\"}}\n"
                                       << "- name: held\n  kind: policy\n  enable: true\n"
                                          "  general: {definition: held.yaml}\n"
                                          "  metric: {prometheus: {address: \""
                                       << prometheus_->address() << "\"}}\n";
    log_ = dir_.string() + ".log";
    slime_.start({"run", "--state-dir", (dir_ / "cluster").string(), "--config", (dir_ / "slime.yaml").string(),
                  "--admin-addr", "", "--als-addr", "off"},
                 log_);
    ASSERT_GT(slime_.pid(), 0);
  }

  void TearDown() override {
    slime_.kill_now(SIGTERM);
    if (!dir_.empty() && !HasFailure()) {
      fs::remove_all(dir_);
      fs::remove(log_);
    }
  }

  // consecutive5xxErrors of the generated DestinationRule `name`; -1 while it does not exist.
  int ejection_threshold(const std::string& name) {
    std::error_code ec;
    if (!fs::exists(dir_ / "cluster" / "generated", ec)) return -1;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "cluster" / "generated", ec)) {
      if (!e.is_regular_file() || e.path().filename().string().find(name) == std::string::npos) continue;
      auto docs = core::parse_yaml_documents(slurp(e.path()));
      if (docs.documents.size() != 1) continue;
      const auto& j = docs.documents[0].json;
      if (j.value("kind", "") != "DestinationRule") continue;
      return j["spec"]["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"].get<int>();
    }
    return -1;
  }

  // The hysteresis state ConfigMap of the `held` policy for reviews.
  fs::path state_file() {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "cluster" / "generated", ec))
      if (e.path().filename().string().find("slime-policy.held.reviews") != std::string::npos) return e.path();
    return {};
  }

  // Polls until ejection_threshold(name) == want, up to 30 s (scrapes and refresh every second).
  void expect_threshold(const std::string& name, int want) {
    int got = 0;
    for (auto deadline = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < deadline;) {
      got = ejection_threshold(name);
      if (got == want) return;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << name << ": consecutive5xxErrors " << got << ", want " << want << "\n" << slurp(log_);
  }

  testing::TestExporter exporter_;
  std::unique_ptr<testing::PrometheusProcess> prometheus_;
  fs::path dir_, log_;
  testing::SlimeProcess slime_;
};

TEST_F(SlimeRunPolicy, MetricCrossingTheThresholdWritesThenPrunes) {
  // Wait until slime has seen a real answer (errors 1: below the threshold, nothing written).
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       std::chrono::steady_clock::now() < deadline && exporter_.scrapes() < 2;)
    std::this_thread::sleep_for(100ms);
  EXPECT_EQ(ejection_threshold("reviews-guard"), -1);

  exporter_.set_body(exported(42));
  expect_threshold("reviews-guard", 5);  // ceil(42 / 10)
  exporter_.set_body(exported(95));
  expect_threshold("reviews-guard", 10);
  EXPECT_EQ(ejection_threshold("ratings-guard"), -1);

  expect_threshold("reviews-held", 10);  // once the rise has held 2 ticks (its state recorded "off" at 1)

  exporter_.set_body(exported(3));
  expect_threshold("reviews-guard", -1);  // pruned
  expect_threshold("reviews-held", -1);   // after 2 ticks, by the revisit
  EXPECT_NE(slurp(state_file()).find("failing: \"off\""), std::string::npos) << slurp(state_file());

  // The broken policy was reported and stopped nothing.
  std::string log = slurp(log_);
  EXPECT_NE(log.find("broken.yaml:2: rules: expected a non-empty list"), std::string::npos) << log;
}

}  // namespace
}  // namespace slime

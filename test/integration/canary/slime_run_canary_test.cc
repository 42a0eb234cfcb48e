// A canary release as a newcomer runs it: `slime run --state-dir` with the canary module asking a real
// Prometheus, which scrapes an exporter of Istio's request counters that this test drives. While the
// canary answers well the weights advance step by step; when its error rate rises, it is rolled back.
// Short intervals (1 s steps, a 4 s analysis window); no assertion on wall-clock times, only on the
// order of what happens, with generous deadlines.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "prometheus_fixture.h"
#include "slime_process.h"
#include "slime/core/yaml.h"
#include "test_exporter.h"

namespace slime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using testing::slurp;

constexpr const char* kRelease = R"(apiVersion: microservice.slime.io/v1alpha1
kind: CanaryRelease
metadata: {name: reviews, namespace: default}
spec:
  host: reviews
  stable: {labels: {version: v1}}
  canary: {labels: {version: v2}}
  schedule: {interval: 1s, steps: [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95]}
  analysis:
    window: 4s
    threshold: 2
    checks:
    - builtin: request-success-rate
      condition: "{{.canary}} >= 95"
)";

// Istio's request counter for reviews as the destination sidecars report it; grows on every tick.
class Traffic {
 public:
  explicit Traffic(testing::TestExporter& exporter) : exporter_(exporter) {
    thread_ = std::thread([this] {
      while (!stop_) {
        tick();
        std::this_thread::sleep_for(200ms);
      }
    });
  }
  ~Traffic() {
    stop_ = true;
    thread_.join();
  }
  // Percent of the canary's requests answered 500 from now on.
  void set_canary_errors(int percent) { canary_errors_ = percent; }

 private:
  void tick() {
    // 100 requests a tick per version; the canary's error share as set.
    ok_[0] += 100;
    ok_[1] += 100 - canary_errors_;
    err_[1] += canary_errors_;
    std::string body = "# TYPE istio_requests_total counter\n";
    const char* versions[] = {"v1", "v2"};
    for (int v = 0; v < 2; ++v)
      for (auto [code, n] : {std::pair{"200", ok_[v]}, std::pair{"500", err_[v]}})
        body += std::string("istio_requests_total{reporter=\"destination\",destination_service_namespace=\"default\","
                            "destination_service_name=\"reviews\",destination_version=\"") +
                versions[v] + "\",response_code=\"" + code + "\"} " + std::to_string(n) + "\n";
    exporter_.set_body(std::move(body));
  }

  testing::TestExporter& exporter_;
  std::atomic<bool> stop_{false};
  std::atomic<int> canary_errors_{0};
  long ok_[2] = {0, 0}, err_[2] = {0, 0};
  std::thread thread_;
};

class SlimeRunCanary : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(exporter_.ok());
    traffic_ = std::make_unique<Traffic>(exporter_);
    prometheus_ = std::make_unique<testing::PrometheusProcess>("127.0.0.1:" + std::to_string(exporter_.port()));
    // A missing Prometheus fails the test (scripts/setup.sh installs it): a skip would pass CI unproven.
    ASSERT_TRUE(prometheus_->available()) << prometheus_->error() << " (scripts/setup.sh installs prometheus)";

    char tmpl[] = "/tmp/slime-run-canary-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ / "cluster");
    std::ofstream(dir_ / "cluster" / "release.yaml") << kRelease;
    std::ofstream(dir_ / "slime.yaml") << "name: canary\nkind: canary\nenable: true\ngeneral: {refresh: 500ms}\n"
                                          "metric:\n  prometheus:\n    address: "
                                       << prometheus_->address() << "\n";
    log_ = dir_.string() + ".log";
    slime_.start({"run", "--state-dir", (dir_ / "cluster").string(), "--config", (dir_ / "slime.yaml").string(),
                  "--admin-addr", "", "--als-addr", "off"},
                 log_);
  }

  void TearDown() override {
    slime_.kill_now(SIGTERM);
    traffic_.reset();
    if (!dir_.empty() && !HasFailure()) {
      fs::remove_all(dir_);
      fs::remove(log_);
    }
  }

  std::optional<core::Json> read_yaml(const fs::path& p) {
    std::error_code ec;
    if (!fs::exists(p, ec)) return std::nullopt;
    auto docs = core::parse_yaml_documents(slurp(p));
    if (docs.documents.size() != 1) return std::nullopt;  // being rewritten
    return docs.documents[0].json;
  }
  // The canary's weight in the generated VirtualService; -1 while there is none.
  int routed_weight() {
    auto vs = read_yaml(dir_ / "cluster" / "generated" / "default" / "virtualservice.networking.istio.io_reviews-canary.yaml");
    if (!vs) return -1;
    try {
      for (const auto& r : (*vs)["spec"]["http"][0]["route"])
        if (r["destination"]["subset"] == "canary") return r["weight"].get<int>();
    } catch (const std::exception&) {
    }
    return -1;
  }
  core::Json status() {
    auto st = read_yaml(dir_ / "cluster" / "generated" / "status" / "default" / "canaryrelease.microservice.slime.io_reviews.yaml");
    return st && st->contains("status") ? (*st)["status"] : core::Json::object();
  }
  std::string phase() {
    auto st = status();
    return st.contains("phase") && st["phase"].is_string() ? st["phase"].get<std::string>() : "";
  }

  testing::TestExporter exporter_;
  std::unique_ptr<Traffic> traffic_;
  std::unique_ptr<testing::PrometheusProcess> prometheus_;
  fs::path dir_, log_;
  testing::SlimeProcess slime_;
};

TEST_F(SlimeRunCanary, WeightsAdvanceStepByStepThenAnErrorRiseRollsBack) {
  // Healthy: record every distinct weight the VirtualService routes with until it reaches 20 %.
  std::vector<int> seen;
  for (auto deadline = std::chrono::steady_clock::now() + 90s; std::chrono::steady_clock::now() < deadline;) {
    int w = routed_weight();
    if (w >= 0 && (seen.empty() || seen.back() != w)) seen.push_back(w);
    if (w >= 20) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(seen.empty()) << slurp(log_);
  ASSERT_GE(seen.back(), 20) << "weights seen: " << ::testing::PrintToString(seen) << "\n" << slurp(log_);
  // Step by step: the weights only grow, and by one step (5 points) at a time.
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GT(seen[i], seen[i - 1]) << ::testing::PrintToString(seen);
    if (seen[i - 1] > 0) {
      EXPECT_EQ(seen[i] - seen[i - 1], 5) << ::testing::PrintToString(seen);
    }
  }
  EXPECT_EQ(phase(), "Progressing");
  EXPECT_EQ(status()["lastAnalysis"]["verdict"], "Pass");

  // Half of the canary's answers fail: two failed analyses roll it back before it can reach 100 %.
  traffic_->set_canary_errors(50);
  std::string last;
  for (auto deadline = std::chrono::steady_clock::now() + 60s; std::chrono::steady_clock::now() < deadline;) {
    last = phase();
    if (last == "Failed" || last == "Succeeded") break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(last, "Failed") << core::to_yaml(status()) << slurp(log_);
  EXPECT_EQ(routed_weight(), 0);
  auto st = status();
  EXPECT_EQ(st["weight"], 0);
  EXPECT_EQ(st["lastAnalysis"]["verdict"], "Fail");
  EXPECT_GE(st["failedAnalyses"].get<int>(), 2);
  // Every transition was told (the manifest-directory backend logs Events).
  std::string log = slurp(log_);
  for (const char* reason : {"reason=Initializing", "reason=Progressing", "reason=StepAdvanced", "reason=RollingBack",
                             "reason=RolledBack"})
    EXPECT_NE(log.find(reason), std::string::npos) << reason << "\n" << log;
}

}  // namespace
}  // namespace slime

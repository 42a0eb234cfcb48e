#include "prometheus_fixture.h"

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace slime::testing {

PrometheusProcess::PrometheusProcess(const std::string& target) {
  char tmpl[] = "/tmp/slime-prometheus-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    error_ = "mkdtemp failed";
    return;
  }
  workdir_ = tmpl;
  std::string script = std::string(SLIME_SOURCE_DIR) + "/tools/prometheus/start.sh";
  std::string cmd = script + " " + workdir_ + " " + target + " 1s > " + workdir_ + "/start.out 2> " + workdir_ + "/start.err";
  int rc = std::system(cmd.c_str());
  int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  if (status == 2) {
    error_ = "no prometheus binary";
    return;
  }
  std::ifstream in(workdir_ + "/address");
  std::getline(in, address_);
  if (status != 0 || address_.empty()) {
    std::ifstream err(workdir_ + "/start.err");
    error_ = "start.sh failed (" + std::to_string(status) + "): " +
             std::string(std::istreambuf_iterator<char>(err), std::istreambuf_iterator<char>());
    return;
  }
  available_ = true;
}

PrometheusProcess::~PrometheusProcess() {
  if (workdir_.empty()) return;
  std::string cmd = std::string(SLIME_SOURCE_DIR) + "/tools/prometheus/stop.sh " + workdir_;
  if (std::system(cmd.c_str()) != 0) return;  // keep the directory for a post-mortem
  std::error_code ec;
  std::filesystem::remove_all(workdir_, ec);
}

}  // namespace slime::testing

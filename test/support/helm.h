#pragma once
// Running the real `helm` (tools/helm/bin, built by the CTest fixture `helm_build`) and reading what
// it renders, for the chart tests (test/integration/helm, test/envtest/helm).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "slime/core/yaml.h"

namespace slime::testing {

struct Command {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command, capturing at most 64 MiB of its output (a rendered chart is a few hundred KiB).
inline Command run_command(const std::string& cmd) {
  Command r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    if (r.output.size() < (64u << 20)) r.output.append(buf, n);
  int raw = ::pclose(p);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

inline std::string chart_dir() { return std::string(SLIME_SOURCE_DIR) + "/charts/slime"; }
inline std::string helm_binary() { return std::string(SLIME_SOURCE_DIR) + "/tools/helm/bin/helm"; }

// `helm ARGS` with its caches and configuration in a directory of the test's own, so a user's
// ~/.config/helm (repositories, plugins) cannot change the outcome. Fails the test when helm is
// missing: the chart is untested without it, which must not pass as green.
inline Command helm(const std::string& args, const std::string& home) {
  if (!std::filesystem::exists(helm_binary())) {
    ADD_FAILURE() << helm_binary() << " missing: run tools/helm/build.sh";
    return {};
  }
  std::string env = "HELM_CACHE_HOME=" + home + "/cache HELM_CONFIG_HOME=" + home + "/config HELM_DATA_HOME=" + home + "/data ";
  return run_command(env + helm_binary() + " " + args + " </dev/null");
}

// The documents of a YAML stream; parse errors fail the test.
inline std::vector<core::Json> yaml_documents(const std::string& text, const std::string& what) {
  auto parsed = core::parse_yaml_documents(text, what);
  for (const auto& e : parsed.errors) ADD_FAILURE() << what << ": " << e.str();
  std::vector<core::Json> out;
  for (auto& d : parsed.documents)
    if (d.json.is_object()) out.push_back(std::move(d.json));
  return out;
}

}  // namespace slime::testing

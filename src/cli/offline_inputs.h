#pragma once
// What the offline commands (render, graph) start from: the module configuration instantiated, the clock
// (--now), and the objects of the manifest files. Problems that stop them are printed here.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/object.h"
#include "slime/modules/registry.h"

namespace slime::cli {

// An RFC 3339 UTC time, or the current time when empty.
core::Result<std::chrono::system_clock::time_point> parse_now(const std::string& s);

struct OfflineInputs {
  modules::Instances instances;
  std::chrono::system_clock::time_point now;
  std::vector<core::Object> objects;
  std::vector<core::Error> load_errors;  // files or documents that could not be read; the rest is loaded
};

// Prints configuration problems to stderr; empty when the command must stop (exit status 2): a bad
// configuration or --now, or a configured module this build lacks (its output would look complete).
std::optional<OfflineInputs> load_offline_inputs(const std::string& config, const std::string& now,
                                                 const std::vector<std::string>& paths);

}  // namespace slime::cli

#pragma once
// Loading the --config file shared by `render` and `run`.
#include <string>

#include "slime/core/config.h"

namespace slime::cli {

// Empty path: no file, every module with defaults. Warnings are printed to stderr.
core::Result<core::SlimeConfig> load_config_file(const std::string& path);

}  // namespace slime::cli

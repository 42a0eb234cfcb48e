#pragma once
// The --now option of the offline commands (render, graph): an RFC 3339 UTC time, or the current time.
#include <chrono>
#include <string>

#include "slime/core/error.h"

namespace slime::cli {

core::Result<std::chrono::system_clock::time_point> parse_now(const std::string& s);

}  // namespace slime::cli

#pragma once
// The SlimeBoot's .status: a `Deployed` condition (the condition type the original's Helm operator
// wrote) saying what was rendered or why not, plus observedGeneration and notes.
#include <chrono>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/core/object.h"

namespace slime::boot {

core::Json deployed_status(const core::Object& slimeboot, const std::vector<core::Object>& objects,
                           const std::vector<std::string>& notes, const std::vector<core::Error>& problems,
                           std::chrono::system_clock::time_point now);

core::Json failed_status(const core::Object& slimeboot, const core::Error& error,
                         std::chrono::system_clock::time_point now);

// The spec-level fields of a live object (no status, no server-set metadata): what to keep applying.
core::Object desired_part(const core::Object& live);

}  // namespace slime::boot

#pragma once
// Times in a release's status: RFC 3339 UTC, with milliseconds only when there are any (short test
// intervals need them; a real schedule reads as plain seconds).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace slime::canary {

using TimePoint = std::chrono::system_clock::time_point;

std::string format_time(TimePoint t);
// nullopt for anything but the form format_time writes (fractions of any length accepted).
std::optional<TimePoint> parse_time(std::string_view text);

}  // namespace slime::canary

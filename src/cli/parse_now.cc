#include "parse_now.h"

#include <ctime>
#include <iomanip>
#include <sstream>

namespace slime::cli {

core::Result<std::chrono::system_clock::time_point> parse_now(const std::string& s) {
  if (s.empty()) return std::chrono::system_clock::now();
  std::tm tm{};
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return core::fail("expected an RFC 3339 UTC time such as 2024-01-02T03:04:05Z, got '" + s + "'", "--now");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace slime::cli

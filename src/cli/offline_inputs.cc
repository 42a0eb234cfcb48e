#include "offline_inputs.h"

#include <ctime>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "config_file.h"
#include "slime/store/manifest_loader.h"

namespace slime::cli {

core::Result<std::chrono::system_clock::time_point> parse_now(const std::string& s) {
  if (s.empty()) return std::chrono::system_clock::now();
  std::tm tm{};
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return core::fail("expected an RFC 3339 UTC time such as 2024-01-02T03:04:05Z, got '" + s + "'", "--now");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::optional<OfflineInputs> load_offline_inputs(const std::string& config, const std::string& now,
                                                 const std::vector<std::string>& paths) {
  auto cfg = load_config_file(config);
  if (!cfg) {
    std::cerr << "error: " << cfg.error().str() << '\n';
    return std::nullopt;
  }
  auto when = parse_now(now);
  if (!when) {
    std::cerr << "error: " << when.error().str() << '\n';
    return std::nullopt;
  }
  auto instances = modules::instantiate(*cfg);
  if (!instances) {
    std::cerr << "error: " << instances.error().str() << '\n';
    return std::nullopt;
  }
  for (const auto& w : instances->warnings) std::cerr << "warning: " << w.str() << '\n';
  // Rendering without a configured module would print a partial result that looks complete.
  for (const auto& e : instances->missing) std::cerr << "error: " << e.str() << '\n';
  if (!instances->missing.empty()) return std::nullopt;

  OfflineInputs out{std::move(*instances), *when, {}, {}};
  auto loaded = store::load_paths(paths);
  out.objects.reserve(loaded.objects.size());
  for (auto& l : loaded.objects) out.objects.push_back(std::move(l.object));
  out.load_errors = std::move(loaded.errors);
  return out;
}

}  // namespace slime::cli

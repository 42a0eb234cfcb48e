// Any text as a --config file: a result or an error, never a crash. Lazyload entries are decoded by the
// module too (dependencyTtl and its durations: "1e30h" and 31-digit hours once reached undefined behaviour).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "slime/core/config.h"
#include "slime/core/yaml.h"
#include "slime/modules/lazyload/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = slime::core::parse_yaml(text, "cfg.yaml");
  if (!doc) return 0;
  // Any value as a duration, whatever the rest of the document is.
  (void)slime::lazyload::parse_duration(*doc);
  auto cfg = slime::core::parse_slime_config(*doc, "cfg.yaml");
  if (cfg) {
    for (const auto& w : cfg->warnings) (void)w.str();
    for (const auto& m : cfg->modules) {
      if (m.effective_kind() != "lazyload") continue;
      auto parsed = slime::lazyload::parse_config(m);
      if (!parsed) (void)parsed.error().str();
    }
  } else {
    (void)cfg.error().str();
  }
  return 0;
}

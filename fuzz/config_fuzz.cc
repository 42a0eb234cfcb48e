// Any text as a --config file: a result or an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "slime/core/config.h"
#include "slime/core/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = slime::core::parse_yaml(text, "cfg.yaml");
  if (!doc) return 0;
  auto cfg = slime::core::parse_slime_config(*doc, "cfg.yaml");
  if (cfg) {
    for (const auto& w : cfg->warnings) (void)w.str();
  } else {
    (void)cfg.error().str();
  }
  return 0;
}

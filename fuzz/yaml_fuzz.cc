// Any text: parsing never crashes, and whatever parses re-emits as YAML that parses back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "slime/core/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = slime::core::parse_yaml_documents(text, "fuzz.yaml");
  for (const auto& d : parsed.documents) {
    std::string y = slime::core::to_yaml(d.json);
    auto back = slime::core::parse_yaml(y);
    if (!back || *back != d.json) {
      std::cerr << "round trip failed\n--- json\n" << d.json.dump(-1, ' ', false, slime::core::Json::error_handler_t::replace) << "\n--- yaml\n" << y << "\n";
      if (!back) std::cerr << back.error().str() << "\n";
      else std::cerr << "--- back\n" << back->dump(-1, ' ', false, slime::core::Json::error_handler_t::replace) << "\n";
      std::abort();
    }
  }
  return 0;
}

// Any text: parsing never crashes (nesting and node bounds hold for YAML and JSON alike), whatever parses
// re-emits as YAML that parses back to the same JSON, and json_diff / json_equal agree on it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "slime/core/json_depth.h"
#include "slime/core/json_diff.h"
#include "slime/core/yaml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using slime::core::Json;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = slime::core::parse_yaml_documents(text, "fuzz.yaml");
  for (const auto& d : parsed.documents) {
    if (slime::core::json_depth(d.json) > slime::core::kMaxNestingDepth + 2) {  // 256 levels below the top, plus a scalar leaf
      std::cerr << "a parsed document is deeper than the nesting cap\n";
      std::abort();
    }
    std::string y = slime::core::to_yaml(d.json);
    auto back = slime::core::parse_yaml(y);
    if (!back || *back != d.json) {
      std::cerr << "round trip failed\n--- json\n" << d.json.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n--- yaml\n" << y << "\n";
      if (!back) std::cerr << back.error().str() << "\n";
      else std::cerr << "--- back\n" << back->dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
      std::abort();
    }
    if (!slime::core::json_equal(*back, d.json) || !slime::core::json_diff(d.json, *back).empty()) {
      std::cerr << "json_equal/json_diff disagree with == on a round trip\n";
      std::abort();
    }
    // A document against an empty one: every top-level key is reported, without walking deeper than needed.
    (void)slime::core::json_diff(d.json, Json::object(), 5);
  }
  // The same text as one value (a --config file, a raw patch).
  (void)slime::core::parse_yaml(text);
  return 0;
}

// Any text as a SlimeBoot: decoded, validated and rendered (global sidecar preview included), or
// reported, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "slime/core/yaml.h"
#include "slime/modules/boot/manifests.h"
#include "slime/modules/boot/slimeboot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = slime::core::parse_yaml(text, "slimeboot.yaml");
  if (!doc) return 0;
  // Either a whole SlimeBoot or just its spec.
  const slime::core::Json& spec = doc->is_object() && doc->contains("spec") ? (*doc)["spec"] : *doc;
  auto parsed = slime::boot::parse_slimeboot_spec(spec);
  if (!parsed) {
    (void)parsed.error().str();
    return 0;
  }
  slime::boot::BootOptions options;
  options.render_global_sidecar = true;
  auto rendered = slime::boot::render_slimeboot(parsed->spec, options, "ns/name");
  for (const auto& p : rendered.problems) (void)p.str();
  for (const auto& o : rendered.objects) (void)slime::core::to_yaml(o.json());
  return 0;
}

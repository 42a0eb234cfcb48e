// Any text as a manifest file: objects or located errors, and the accessors never throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "slime/core/selector.h"
#include "slime/store/manifest_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  slime::store::LoadResult out;
  slime::store::load_text(text, "fuzz.yaml", out);
  for (const auto& l : out.objects) {
    const auto& o = l.object;
    (void)o.key().str();
    (void)o.labels();
    (void)o.annotations();
    (void)o.generation();
    (void)o.owner_references();
    (void)slime::core::LabelSelector::parse(o.spec().is_object() && o.spec().contains("selector") ? o.spec()["selector"]
                                                                                                   : slime::core::Json());
  }
  for (const auto& e : out.errors) (void)e.str();
  return 0;
}

#pragma once
// The descriptor identity `Service[<name>.<ns>]-Id[<N>]`: N = adler32(text(descriptor) + "<ns>/<name>"),
// where text() is protobuf-go's one-line text format of the wrapped SmartLimitDescriptor with two spaces
// between fields (the variant the original's golden files were produced with). Reproducing it keeps the
// descriptor values, and so the RLS counters, of existing clusters.
#include <cstdint>
#include <string>
#include <string_view>

#include "slime/modules/limiter/model.h"

namespace slime::limiter {

// A descriptor after evaluation: quota is the computed integer, condition and custom key/value are gone.
struct WrappedDescriptor {
  Action action;  // quota holds the decimal computed quota
  std::vector<Matcher> match;
  std::optional<Target> target;  // the descriptor's own target only
  uint64_t quota = 0;
  // Not part of the identity: where it came from, and the effective target used for routing.
  Target effective_target;
  std::string custom_key;
  std::string custom_value;
};

std::string canonical_text(const WrappedDescriptor& d);
uint32_t adler32(std::string_view data);
uint32_t descriptor_id(const WrappedDescriptor& d, std::string_view ns, std::string_view name);

}  // namespace slime::limiter

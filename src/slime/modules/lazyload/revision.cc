#include "slime/modules/lazyload/revision.h"

#include "slime/modules/lazyload/config.h"

namespace slime::lazyload {

bool rev_in_scope(const core::GlobalConfig& global, std::string_view rev) {
  if (global.istio_rev.empty()) return true;
  if (!global.strict_rev && rev.empty()) return true;
  for (const auto& r : split_list(global.istio_rev))
    if (r == rev) return true;
  return false;
}

}  // namespace slime::lazyload

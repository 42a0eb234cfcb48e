#pragma once
// Istio revision scoping (spec §5.14).
#include <string_view>

#include "slime/core/config.h"

namespace slime::lazyload {

// Whether an object labelled istio.io/rev=`rev` ("" when unlabelled) is managed by this instance.
bool rev_in_scope(const core::GlobalConfig& global, std::string_view rev);

}  // namespace slime::lazyload

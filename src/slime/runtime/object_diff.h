#pragma once
// "Does the cluster already have what we want?" Desired objects set only the fields Slime owns; the
// live object has more (defaults, server metadata, other managers' fields). Applying only when a
// desired field differs keeps the controller from writing on every reconcile.
#include "slime/core/json.h"

namespace slime::runtime {

// True when every field of `desired` (recursively; lists element-wise and of equal length) has the
// same value in `actual`. The top-level `status` is ignored: it is written separately.
bool contains_desired(const core::Json& desired, const core::Json& actual);

}  // namespace slime::runtime

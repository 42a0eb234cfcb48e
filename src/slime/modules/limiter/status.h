#pragma once
// `.status` of a SmartLimiter: ratelimitStatus (the effective descriptors per set, with computed quotas)
// and metricStatus (the material), in the lowerCamel protojson form the original writes.
#include "slime/core/json.h"
#include "slime/modules/limiter/evaluate.h"

namespace slime::limiter {

core::Json descriptor_json(const WrappedDescriptor& d);
core::Json limiter_status(const Evaluation& ev);

}  // namespace slime::limiter

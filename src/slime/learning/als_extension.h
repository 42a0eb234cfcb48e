#pragma once
// `slime run` glue: serve the access-log service and feed every batch into the learning loop.
#include <functional>
#include <string>

#include "slime/core/error.h"
#include "slime/modules/lazyload/config.h"
#include "slime/store/cluster.h"

namespace slime::learning {

using StopFn = std::function<void()>;
using Extension = std::function<core::Result<StopFn>(store::Cluster&)>;

// The listen address of the access-log service: `flag` when given ("off" disables it), else
// global.misc.logSourcePort (":8082" by default) when lazyload learns from access logs; empty: none.
std::string als_address(const std::string& flag, const lazyload::FenceConfig& config);

// Starts the access-log server on `addr` with a LearningLoop over the cluster; the returned function stops it.
// `on_listening` (optional) gets the bound port, for an address with port 0.
Extension als_extension(std::string addr, lazyload::FenceConfig config,
                        std::function<void(uint16_t)> on_listening = {});

}  // namespace slime::learning

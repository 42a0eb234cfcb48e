#pragma once
// `slime run` glue: serve the access-log service and feed every batch into the learning loop.
#include <functional>
#include <memory>
#include <mutex>
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

class LearningLoop;

// The running learning loop, for admin endpoints that outlive it (set while the extension runs).
class LearningHandle {
 public:
  void set(std::shared_ptr<LearningLoop> loop) {
    std::lock_guard lock(mu_);
    loop_ = std::move(loop);
  }
  std::shared_ptr<LearningLoop> get() const {
    std::lock_guard lock(mu_);
    return loop_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<LearningLoop> loop_;
};

// POST /<module>/debug/svfReset?ns=NS[&name=NAME]: forgets the dependencies learned for one fence, or for
// every fence of NS (spec §5.10). 400 without ns, 503 while no learning loop runs here (not the leader,
// or lazyload learns from Prometheus), 500 when a status write fails; "succeed" otherwise.
struct AdminReply {
  int status;
  std::string body;
};
AdminReply svf_reset(const LearningHandle& handle, const std::string& ns, const std::string& name);

// Starts the access-log server on `addr` with a LearningLoop over the cluster; the returned function stops it.
// `on_listening` (optional) gets the bound port, for an address with port 0.
// `handle` (optional) is given the loop while it runs.
Extension als_extension(std::string addr, lazyload::FenceConfig config,
                        std::function<void(uint16_t)> on_listening = {},
                        std::shared_ptr<LearningHandle> handle = nullptr);

}  // namespace slime::learning

#include "slime/learning/als_extension.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "slime/learning/learning_loop.h"
#include "slime/metric/accesslog/accesslog_server.h"

namespace slime::learning {

std::string als_address(const std::string& flag, const lazyload::FenceConfig& config) {
  if (flag == "off") return {};
  if (!flag.empty()) return flag;
  if (config.metric_source != lazyload::MetricSource::kAccessLog) return {};
  auto port = config.global.misc_value("logSourcePort");
  return port.empty() ? std::string(":8082") : port;
}

AdminReply svf_reset(const LearningHandle& handle, const std::string& ns, const std::string& name) {
  if (ns.empty()) return {400, "ns name is empty\n"};
  auto loop = handle.get();
  if (!loop) return {503, "no learning loop runs in this replica (not the leader, or not in accesslog mode)\n"};
  auto r = loop->reset(ns, name);
  if (!r) return {500, r.error().str() + "\n"};
  return {200, "succeed\n"};
}

Extension als_extension(std::string addr, lazyload::FenceConfig config, std::function<void(uint16_t)> on_listening,
                        std::shared_ptr<LearningHandle> handle) {
  auto shared = std::make_shared<const lazyload::FenceConfig>(std::move(config));
  return [addr = std::move(addr), config = std::move(shared),
          on_listening = std::move(on_listening), handle](store::Cluster& cluster) -> core::Result<StopFn> {
    auto loop = std::make_shared<LearningLoop>(cluster, config);
    auto server = std::make_shared<metric::AccessLogServer>(
        [loop](metric::AccessLogBatch&& batch) { loop->on_batch(std::move(batch)); });
    if (auto r = server->start(addr); !r) return std::unexpected(r.error());
    spdlog::info("access-log service listening addr={} port={}", addr, server->port());
    if (on_listening) on_listening(server->port());
    if (handle) handle->set(loop);
    return StopFn([server, loop, handle] {
      server->stop();
      if (handle) handle->set(nullptr);
    });
  };
}

}  // namespace slime::learning

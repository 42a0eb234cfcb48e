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

Extension als_extension(std::string addr, lazyload::FenceConfig config, std::function<void(uint16_t)> on_listening) {
  auto shared = std::make_shared<const lazyload::FenceConfig>(std::move(config));
  return [addr = std::move(addr), config = std::move(shared),
          on_listening = std::move(on_listening)](store::Cluster& cluster) -> core::Result<StopFn> {
    auto loop = std::make_shared<LearningLoop>(cluster, config);
    auto server = std::make_shared<metric::AccessLogServer>(
        [loop](metric::AccessLogBatch&& batch) { loop->on_batch(std::move(batch)); });
    if (auto r = server->start(addr); !r) return std::unexpected(r.error());
    spdlog::info("access-log service listening addr={} port={}", addr, server->port());
    if (on_listening) on_listening(server->port());
    return StopFn([server, loop] { server->stop(); });
  };
}

}  // namespace slime::learning

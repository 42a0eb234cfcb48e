#include "slime/metric/accesslog/accesslog_decode.h"

#include "envoy/service/accesslog/v3/als.pb.h"

namespace slime::metric {

core::Result<AccessLogBatch> decode_access_logs(const envoy::service::accesslog::v3::StreamAccessLogsMessage& msg) {
  AccessLogBatch out;
  if (!msg.has_http_logs()) return out;  // tcp_logs and the identifier carry nothing we learn from
  const auto& entries = msg.http_logs().log_entry();
  out.reserve(entries.size());
  for (int i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    const auto& common = entry.common_properties();
    if (!common.has_downstream_direct_remote_address()) continue;
    const auto& addr = common.downstream_direct_remote_address();
    if (!addr.has_socket_address()) {
      return core::fail("downstream_direct_remote_address is not a socket address",
                        "http_logs.log_entry[" + std::to_string(i) + "].common_properties.downstream_direct_remote_address");
    }
    out.push_back(AccessLogEvent{addr.socket_address().address(), common.upstream_cluster(),
                                 entry.request().authority()});
  }
  return out;
}

}  // namespace slime::metric

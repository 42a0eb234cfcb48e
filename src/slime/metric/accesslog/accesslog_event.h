#pragma once
// One observed call, as the access-log service hands it on: who called (the downstream peer) and which
// authority it asked for. The learning loop turns these into dependencies (spec §5.10).
#include <string>
#include <vector>

namespace slime::metric {

struct AccessLogEvent {
  std::string source_ip;         // downstream_direct_remote_address, without port
  std::string upstream_cluster;  // e.g. "inbound|80||"; the learner keeps only inbound entries
  std::string authority;         // request authority, host[:port]
};

using AccessLogBatch = std::vector<AccessLogEvent>;

}  // namespace slime::metric

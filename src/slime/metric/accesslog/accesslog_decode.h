#pragma once
// Decoding of one StreamAccessLogsMessage into events (spec §5.10 step 1). Separate from the server so it
// can be tested and fuzzed without sockets.
#include <string_view>

#include "slime/core/error.h"
#include "slime/metric/accesslog/accesslog_event.h"

namespace envoy::service::accesslog::v3 {
class StreamAccessLogsMessage;
}

namespace slime::metric {

// Entries without downstream_direct_remote_address are skipped (as the original does); an entry whose
// address is present but not a socket address (a pipe) rejects the whole batch with an error.
core::Result<AccessLogBatch> decode_access_logs(const envoy::service::accesslog::v3::StreamAccessLogsMessage& msg);

}  // namespace slime::metric

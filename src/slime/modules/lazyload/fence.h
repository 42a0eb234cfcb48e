#pragma once
// The ServiceFence resource (microservice.slime.io/v1alpha1, spec §4) and its protojson encoding (§4.3):
// enum names on output, names or numbers on input; int64 as strings on output, strings or numbers on input;
// zero values omitted.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"

namespace slime::lazyload {

struct Timestamp {
  int64_t seconds = 0;
  int32_t nanos = 0;
};

struct RecyclingStrategy {
  bool stable = false;
  std::optional<Timestamp> deadline_expire;  // deadline.expire
  std::optional<Timestamp> auto_duration;    // auto.duration (deprecated)
  std::optional<Timestamp> recently_called;  // RecentlyCalled (nothing writes it)
};

struct FenceSpec {
  std::map<std::string, RecyclingStrategy> host;
  bool enable = false;
  std::vector<std::string> namespace_selector;
  std::vector<std::map<std::string, std::string>> label_selector;
  bool from_service = false;                    // workloadSelector.fromService
  std::map<std::string, std::string> labels;    // workloadSelector.labels
};

enum class DomainStatus { kActive = 0, kExpire = 1, kExpireWait = 2 };

struct Destinations {
  std::vector<std::string> hosts;
  DomainStatus status = DomainStatus::kActive;
  core::Json recently_called;  // preserved verbatim when present (deprecated)
};

using Domains = std::map<std::string, Destinations>;

struct FenceStatus {
  Domains domains;
  std::map<std::string, std::string> metric_status;
  // Extension (only written when dependencyTtl is set): metricStatus key -> last time it was seen, as unix
  // seconds. Lives in the status so that a restart loses nothing.
  std::map<std::string, int64_t> last_seen;
  core::Json other = core::Json::object();  // any other status keys (e.g. the deprecated `visitor`), kept
};

// Tolerant decoders: a bad entry is skipped and reported in `problems` (field paths relative to the object,
// e.g. "spec.host.foo.deadline.expire.seconds"); the rest is decoded.
FenceSpec parse_fence_spec(const core::Json& spec, std::vector<core::Error>& problems);
FenceStatus parse_fence_status(const core::Json& status, std::vector<core::Error>& problems);

core::Json encode_status(const FenceStatus& status);
core::Json encode_domains(const Domains& domains);

const char* domain_status_name(DomainStatus s);

}  // namespace slime::lazyload

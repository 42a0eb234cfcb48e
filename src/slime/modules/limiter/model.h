#pragma once
// SmartLimiter (microservice.slime.io/v1alpha2), as the original's protobuf messages define it. Field
// order in these structs is the proto declaration order, which the descriptor identity depends on.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/object.h"

namespace slime::limiter {

inline constexpr const char* kGroup = "microservice.slime.io";
inline constexpr const char* kApiVersion = "microservice.slime.io/v1alpha2";
inline constexpr const char* kKind = "SmartLimiter";
inline constexpr const char* kBaseSet = "_base";

struct Duration {
  int64_t seconds = 0;
  int32_t nanos = 0;
};

struct HeaderValue {
  std::string key;
  std::string value;
};

struct Action {
  std::string quota;
  std::optional<Duration> fill_interval;
  std::string strategy;
  std::vector<HeaderValue> headers_to_add;
  bool global() const { return strategy == "global"; }
};

enum class MatchSource { kHead = 0, kQuery = 1, kJsonBody = 2, kSourceIp = 3 };
inline constexpr const char* kMatchSourceNames[] = {"HeadMatch", "QueryMatch", "JsonBodyMatch", "SourceIpMatch"};

struct Matcher {
  std::string name;
  std::string regex_match;
  std::string exact_match;
  std::string prefix_match;
  std::string suffix_match;
  bool present_match = false;
  bool invert_match = false;
  bool is_exact_match_empty = false;
  bool present_match_separate = false;
  bool use_query_match = false;
  MatchSource source = MatchSource::kHead;
};

struct Target {
  std::string direction;
  int32_t port = 0;
  std::vector<std::string> route;
  std::vector<std::string> host;
  bool outbound() const { return direction == "outbound"; }
};

struct Descriptor {
  std::string condition;
  Action action;
  std::vector<Matcher> match;
  std::optional<Target> target;
  std::string custom_key;
  std::string custom_value;
  std::string field;  // "spec.sets._base.descriptor[0]", for problems
};

// A deque, not a vector: a descriptor is ~360 bytes, so three of them in one array already make an
// allocation of over 1 KiB, and every such allocation makes glibc consolidate the small chunks the
// previous render freed (measured: ~10% of the render time). A deque allocates each one separately.
using DescriptorList = std::deque<Descriptor>;

struct SmartLimiterSpec {
  // Keyed by set name; std::map keeps a stable order for output.
  std::map<std::string, DescriptorList> sets;
  std::map<std::string, std::string> workload_selector;
  bool gateway = false;
  std::string host;
  std::optional<Target> target;
};

struct ParsedLimiter {
  SmartLimiterSpec spec;
  // Unknown keys and invalid descriptors; an invalid descriptor is left out of `spec`, the rest stays.
  std::vector<core::Error> problems;
};

// Which descriptors parse_smart_limiter decodes. The RLS ConfigMap needs only the global ones, and
// decoding is most of the cost of evaluating a limiter.
enum class Descriptors { kAll, kGlobalOnly };

// Decodes and validates `spec` of a SmartLimiter. Never fails as a whole: a spec that is not a mapping
// gives an empty spec and a problem. With kGlobalOnly, descriptors whose action.strategy is not "global"
// are skipped unread (neither decoded nor reported), and sets keep only their global descriptors.
ParsedLimiter parse_smart_limiter(const core::Object& limiter, Descriptors which = Descriptors::kAll);

// Valid fill intervals are positive, with 0 <= nanos < 1e9.
core::Result<Duration> parse_duration(const core::Json& value, const std::string& field);

}  // namespace slime::limiter

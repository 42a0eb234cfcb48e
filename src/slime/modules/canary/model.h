#pragma once
// CanaryRelease (microservice.slime.io/v1alpha1): what the user writes. Two forms share the kind:
//  * a canary release: a host, a stable and a canary version (label sets, which become DestinationRule
//    subsets), a schedule of canary weights and an analysis that gates each step;
//  * a version traffic split (`spec.split`): N subsets whose weights an expression over per-subset metrics
//    computes, re-evaluated on every metric tick.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/object.h"

namespace slime::canary {

inline constexpr const char* kGroup = "microservice.slime.io";
inline constexpr const char* kApiVersion = "microservice.slime.io/v1alpha1";
inline constexpr const char* kKind = "CanaryRelease";

struct Subset {
  std::string name;
  std::map<std::string, std::string> labels;
  // What `{{.version}}` means in query templates: the `version` label Istio's metrics carry as
  // destination_version, or the subset name when the subset has no such label.
  std::string version() const;
};

// A named analysis check: a PromQL template asked once per subset it needs, and a condition over the
// answers ({{.canary}}, {{.stable}}) in the limiter's calculator language.
struct Check {
  std::string name;
  std::string builtin;  // "request-success-rate", "request-duration", or empty for `query`
  std::string query;    // the template (built-ins fill it in)
  std::string condition;
  bool uses_stable = false;  // the condition reads {{.stable}}: ask the stable subset too
};

enum class NoData { kHold, kFail };
enum class Promotion { kAutomatic, kManual };

struct Release {
  std::string service;  // the Service's name, in the release's namespace
  Subset stable, canary;
  std::vector<int> steps;  // canary weights in order, each 1..100
  std::chrono::milliseconds interval{60000};
  std::string window;  // the PromQL range of the analysis ("1m"), default: the interval
  std::vector<Check> checks;
  int threshold = 2;  // failed analyses before rollback
  NoData no_data = NoData::kHold;
  Promotion promotion = Promotion::kAutomatic;
  bool promote = false;
  bool paused = false;
};

struct Split {
  std::string service;
  std::vector<Subset> subsets;
  std::map<std::string, std::string> metrics;  // material name -> query template, asked per subset
  std::string weight;                           // expression over one subset's metrics
  int min_change = 5;                           // percentage points; smaller moves are not applied
  std::string window = "1m";
};

struct CanaryRelease {
  std::string ns, name;
  bool is_split = false;
  Release release;
  Split split;
};

// Validates the spec; errors name the object and the field. Nothing renders for an invalid release.
core::Result<CanaryRelease> parse_canary_release(const core::Object& obj);

// "30s", "1m", "500ms", "2h" (one unit, as PromQL ranges are written).
core::Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// "<name>-canary": the DestinationRule and VirtualService a release writes.
std::string routes_name(std::string_view release_name);
// "<service>.<namespace>.svc.cluster.local"
std::string service_fqdn(std::string_view service, std::string_view ns);

}  // namespace slime::canary

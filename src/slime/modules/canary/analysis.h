#pragma once
// One analysis of a canary release: each check's query asked for the canary (and, for relative checks,
// the stable) subset, and its condition judged over the answers. Missing data is never a pass.
#include <optional>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/core/snapshot.h"
#include "slime/modules/canary/model.h"

namespace slime::canary {

enum class Verdict { kPass, kFail, kNoVerdict };
const char* verdict_name(Verdict v);

// A query template with {{.service}}, {{.namespace}}, {{.subset}}, {{.version}} and {{.interval}}
// filled in for one subset.
core::Result<std::string> render_query(std::string_view text, std::string_view service, std::string_view ns,
                                       const Subset& subset, std::string_view window);

// The one number an answer names: exactly one sample with a finite value. Otherwise nullopt, with the
// reason in `why` (no answer, no samples, several samples, NaN).
std::optional<double> single_value(const core::MetricValues& metrics, const core::MetricRequest& request,
                                   std::string& why);

struct CheckResult {
  std::string name;
  std::optional<double> canary, stable;
  Verdict verdict = Verdict::kNoVerdict;
  std::string message;  // why there is no verdict, or the failed condition with its numbers
};

struct Analysis {
  Verdict verdict = Verdict::kNoVerdict;
  std::vector<CheckResult> checks;
};

// The queries an analysis of `rel` asks (canary, and stable for relative checks).
std::vector<core::MetricRequest> analysis_requests(const Release& rel, std::string_view ns);
Analysis analyse(const Release& rel, std::string_view ns, const core::MetricValues& metrics);

core::Json analysis_json(const Analysis& a, std::string_view time);

}  // namespace slime::canary

#pragma once
// The release's state machine. Its whole memory is the status it wrote last time; its inputs are the
// spec, the clock (RenderContext::now), the metric answers and whether the routes it asked for are live.
// So a restarted Slime resumes where the status says, and a render that repeats with the same inputs
// changes nothing more (the fixed point of `slime render`).
//
//   Initializing ─(routes live at 0 %)─► Progressing ─(last step passed, promotion allowed)─► Promoting ─► Succeeded
//                                          │  ▲   └──(threshold failed analyses)──► RollingBack ─► Failed
//                              paused: true▼  │paused: false
//                                         Paused
//
// Progressing analyses once per interval (at status.nextStepTime): a pass moves to the next weight, a
// failure counts towards the threshold, no data holds (or counts as a failure with noData: fail).
// Promoting and RollingBack end when the live VirtualService routes 100 % / 0 % to the canary.
#include <optional>
#include <string>
#include <vector>

#include "slime/core/module.h"
#include "slime/modules/canary/clock.h"
#include "slime/modules/canary/model.h"

namespace slime::canary {

struct Outcome {
  core::Json status;
  int canary_weight = 0;
  bool write_routes = true;  // false when another writer routes the host
  std::vector<core::ModuleEvent> events;
  std::optional<TimePoint> revisit_at;
};

struct Observed {
  std::optional<std::map<std::string, int>> live_weights;  // the release's own VirtualService, if live
  std::optional<std::string> conflict;                      // another writer's rule for the host
};

Outcome advance_release(const core::Object& obj, const Release& rel, const core::MetricValues& metrics,
                        const Observed& observed, TimePoint now);

// Phases whose analyses need metric answers.
bool analyses_in(std::string_view phase);

}  // namespace slime::canary

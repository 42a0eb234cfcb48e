#pragma once
// Hysteresis: a rule's outputs change only once its new truth has held for `hysteresis` ticks (that many
// refresh periods). Modules are pure, so the state lives in the cluster: one ConfigMap per watched object
// and policy (only when hysteresis > 0), which the module renders and the driver writes and reads back
// like any other output:
//   data:  <rule>: "on" | "off"               what the outputs currently follow
//          <rule>.pendingSince: "<unix secs>"  the rule has disagreed with that since then
// Without a state (a new object, or a first run) a rule takes its truth at once: there is nothing yet
// to keep steady.
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "slime/core/object.h"

namespace slime::policy {

struct RuleState {
  bool on = false;
  std::optional<int64_t> pending_since;  // unix seconds
};

using HoldState = std::map<std::string, RuleState>;  // rule name -> state

// The state recorded in a state ConfigMap (empty for none or an unreadable one).
HoldState read_hold_state(const core::Object* config_map);
// The state ConfigMap's data.
core::Json hold_state_data(const HoldState& state);

struct Decision {
  RuleState state;  // what to record
  std::optional<std::chrono::system_clock::time_point> revisit;  // when a pending change comes due
};

// `previous`: the recorded state, if any. `hold`: how long a new truth must last.
Decision decide(const std::optional<RuleState>& previous, bool truth, std::chrono::system_clock::time_point now,
                std::chrono::milliseconds hold);

}  // namespace slime::policy

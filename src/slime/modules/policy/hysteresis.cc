#include "slime/modules/policy/hysteresis.h"

#include <charconv>

namespace slime::policy {

HoldState read_hold_state(const core::Object* config_map) {
  HoldState out;
  if (!config_map) return out;
  const core::Json& doc = config_map->json();
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) return out;
  for (auto& [k, v] : data->items()) {
    if (!v.is_string() || k.find('.') != std::string::npos) continue;
    RuleState s;
    s.on = v.get<std::string>() == "on";
    if (auto p = data->find(k + ".pendingSince"); p != data->end() && p->is_string()) {
      const std::string& t = p->get_ref<const std::string&>();
      int64_t secs = 0;
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), secs);
      if (ec == std::errc() && end == t.data() + t.size()) s.pending_since = secs;
    }
    out[k] = s;
  }
  return out;
}

core::Json hold_state_data(const HoldState& state) {
  core::Json data = core::Json::object();
  for (const auto& [rule, s] : state) {
    data[rule] = s.on ? "on" : "off";
    if (s.pending_since) data[rule + ".pendingSince"] = std::to_string(*s.pending_since);
  }
  return data;
}

Decision decide(const std::optional<RuleState>& previous, bool truth, std::chrono::system_clock::time_point now,
                std::chrono::milliseconds hold) {
  Decision d;
  if (!previous || hold.count() == 0 || previous->on == truth) {
    d.state.on = truth;
    return d;
  }
  int64_t now_secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  int64_t since = previous->pending_since.value_or(now_secs);
  auto due = std::chrono::system_clock::time_point(std::chrono::seconds(since)) + hold;
  if (now >= due) {
    d.state.on = truth;
    return d;
  }
  d.state.on = previous->on;
  d.state.pending_since = since;
  d.revisit = due;
  return d;
}

}  // namespace slime::policy

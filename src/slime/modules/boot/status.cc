#include "slime/modules/boot/status.h"

#include <ctime>

namespace slime::boot {

using core::Json;

namespace {

std::string rfc3339(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// lastTransitionTime moves only when the condition's status changes, so re-rendering an unchanged
// SlimeBoot writes an identical status (and the driver writes nothing).
// The status comes from the cluster: any shape must read safely.
bool string_is(const Json& obj, const char* key, const std::string& want) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() && it->get<std::string>() == want;
}

std::string transition_time(const core::Object& sb, const std::string& status, std::chrono::system_clock::time_point now) {
  const Json& st = sb.status();
  auto conditions = st.is_object() ? st.find("conditions") : st.end();
  if (st.is_object() && conditions != st.end() && conditions->is_array())
    for (const auto& c : *conditions)
      if (c.is_object() && string_is(c, "type", "Deployed") && string_is(c, "status", status) &&
          c.contains("lastTransitionTime") && c["lastTransitionTime"].is_string())
        return c["lastTransitionTime"].get<std::string>();
  return rfc3339(now);
}

Json status_with(const core::Object& sb, const std::string& status, const std::string& reason, const std::string& message,
                 std::chrono::system_clock::time_point now) {
  Json out = {{"conditions", Json::array({Json{{"type", "Deployed"},
                                               {"status", status},
                                               {"reason", reason},
                                               {"message", message},
                                               {"lastTransitionTime", transition_time(sb, status, now)}}})}};
  if (sb.generation() > 0) out["observedGeneration"] = sb.generation();
  return out;
}

}  // namespace

Json deployed_status(const core::Object& sb, const std::vector<core::Object>& objects, const std::vector<std::string>& notes,
                     const std::vector<core::Error>& problems, std::chrono::system_clock::time_point now) {
  std::string message = std::to_string(objects.size()) + " objects rendered";
  Json out;
  if (problems.empty()) {
    out = status_with(sb, "True", "Rendered", message, now);
  } else {
    message += "; " + std::to_string(problems.size()) + " problem(s): " + problems.front().str();
    out = status_with(sb, "False", "InvalidModuleConfig", message, now);
  }
  if (!notes.empty()) out["notes"] = notes;
  return out;
}

Json failed_status(const core::Object& sb, const core::Error& error, std::chrono::system_clock::time_point now) {
  std::string where = error.field.empty() ? "" : error.field + ": ";
  return status_with(sb, "False", "InvalidSpec", where + error.message + " (objects left as they were)", now);
}

core::Object desired_part(const core::Object& live) {
  Json doc = live.json();
  doc.erase("status");
  Json meta = Json::object();
  const Json& live_meta = live.json().contains("metadata") ? live.json()["metadata"] : Json::object();
  for (const char* k : {"name", "namespace", "labels", "annotations"})
    if (live_meta.is_object() && live_meta.contains(k)) meta[k] = live_meta[k];
  doc["metadata"] = std::move(meta);
  return core::Object(std::move(doc));
}

}  // namespace slime::boot

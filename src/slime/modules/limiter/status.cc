#include "slime/modules/limiter/status.h"

namespace slime::limiter {
namespace {

using core::Json;

// The keys are new in `j`: emplace them (operator[] inserts a null, then assigns).
void put(Json& j, const char* k, const std::string& v) {
  if (!v.empty()) j.get_ref<Json::object_t&>().emplace(k, v);
}
void put(Json& j, const char* k, bool v) {
  if (v) j.get_ref<Json::object_t&>().emplace(k, true);
}

Json target_json(const Target& t) {
  Json j = Json::object();
  put(j, "direction", t.direction);
  if (t.port != 0) j["port"] = t.port;
  if (!t.route.empty()) j["route"] = t.route;
  if (!t.host.empty()) j["host"] = t.host;
  return j;
}

}  // namespace

Json descriptor_json(const WrappedDescriptor& d) {
  Json action = Json::object();
  put(action, "quota", d.action.quota);
  if (d.action.fill_interval) {
    Json fi = Json::object();
    if (d.action.fill_interval->seconds) fi["seconds"] = d.action.fill_interval->seconds;
    if (d.action.fill_interval->nanos) fi["nanos"] = d.action.fill_interval->nanos;
    action["fillInterval"] = std::move(fi);
  }
  put(action, "strategy", d.action.strategy);
  if (!d.action.headers_to_add.empty()) {
    Json headers = Json::array();
    for (const auto& h : d.action.headers_to_add) {
      Json hv = Json::object();
      put(hv, "key", h.key);
      put(hv, "value", h.value);
      headers.push_back(std::move(hv));
    }
    action["headersToAdd"] = std::move(headers);
  }
  Json j(Json::value_t::object);
  j["action"] = std::move(action);
  if (!d.match.empty()) {
    Json match = Json::array();
    for (const auto& m : d.match) {
      Json mj = Json::object();
      put(mj, "name", m.name);
      put(mj, "regexMatch", m.regex_match);
      put(mj, "exactMatch", m.exact_match);
      put(mj, "prefixMatch", m.prefix_match);
      put(mj, "suffixMatch", m.suffix_match);
      put(mj, "presentMatch", m.present_match);
      put(mj, "invertMatch", m.invert_match);
      put(mj, "isExactMatchEmpty", m.is_exact_match_empty);
      put(mj, "presentMatchSeparate", m.present_match_separate);
      put(mj, "useQueryMatch", m.use_query_match);
      if (m.source != MatchSource::kHead) mj["matchSource"] = kMatchSourceNames[static_cast<int>(m.source)];
      match.push_back(std::move(mj));
    }
    j["match"] = std::move(match);
  }
  if (d.target) j["target"] = target_json(*d.target);
  put(j, "customKey", d.custom_key);
  put(j, "customValue", d.custom_value);
  return j;
}

Json limiter_status(const Evaluation& ev) {
  Json status = Json::object();
  Json rl = Json::object();
  for (const auto& set : ev.sets) {
    Json list = Json::array();
    for (const auto& d : set.descriptors) list.push_back(descriptor_json(d));
    rl[set.name]["descriptor"] = std::move(list);
  }
  if (!rl.empty()) status["ratelimitStatus"] = std::move(rl);
  Json metric = Json::object();
  for (const auto& [k, v] : ev.material.values) metric[k] = v;
  if (!metric.empty()) status["metricStatus"] = std::move(metric);
  return status;
}

}  // namespace slime::limiter

#include "slime/modules/limiter/model.h"

#include <cmath>

#include "slime/core/fields.h"
#include "slime/expr/template.h"

namespace slime::limiter {
namespace {

using core::Error;
using core::FieldReader;
using core::Json;
using core::fail;

// Collects problems while a reader walks one object; `ok` turns false on the first real error.
struct Problems {
  std::vector<Error>& out;
  bool ok = true;

  template <typename T>
  bool take(core::Result<T>& r) {
    if (r) return true;
    out.push_back(std::move(r.error()));
    ok = false;
    return false;
  }
  void error(std::string message, std::string field) {
    Error e;
    e.message = std::move(message);
    e.field = std::move(field);
    out.push_back(std::move(e));
    ok = false;
  }
  void unknown(const FieldReader& r) {
    for (auto& e : r.unknown_fields()) out.push_back(std::move(e));
  }
};

std::vector<std::string> string_list(FieldReader& r, std::string_view camel, Problems& p) {
  std::vector<std::string> out;
  const Json* v = r.get(camel);
  if (!v) return out;
  if (v->is_string()) {  // the proto comments write a scalar; accept it as a one-element list
    out.push_back(v->get<std::string>());
    return out;
  }
  if (!v->is_array()) {
    p.error(std::string("expected a list of strings, got ") + v->type_name(), r.child(camel));
    return out;
  }
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      p.error("expected a string", r.child(camel) + "[" + std::to_string(i) + "]");
      continue;
    }
    out.push_back((*v)[i].get<std::string>());
  }
  return out;
}

std::optional<Target> parse_target(const Json& j, const std::string& path, Problems& p) {
  FieldReader r(j, path);
  if (!r.ok()) {
    p.unknown(r);
    p.ok = false;
    return std::nullopt;
  }
  Target t;
  auto direction = r.string("direction");
  if (p.take(direction)) {
    t.direction = *direction;
    if (!t.direction.empty() && t.direction != "inbound" && t.direction != "outbound")
      p.error("expected inbound or outbound, got \"" + t.direction + "\"", r.child("direction"));
  }
  auto port = r.integer("port");
  if (p.take(port)) {
    if (*port < 0 || *port > 65535) p.error("expected a port between 0 and 65535", r.child("port"));
    t.port = static_cast<int32_t>(*port);
  }
  t.route = string_list(r, "route", p);
  for (size_t i = 0; i < t.route.size(); ++i) {
    const auto& route = t.route[i];
    auto slash = route.find('/');
    if (slash == std::string::npos || route.find('/', slash + 1) != std::string::npos)
      p.error("expected \"<vhost>/<route name>\" with exactly one '/', got \"" + route + "\"",
              r.child("route") + "[" + std::to_string(i) + "]");
  }
  t.host = string_list(r, "host", p);
  p.unknown(r);
  return t;
}

std::optional<Matcher> parse_matcher(const Json& j, const std::string& path, Problems& p) {
  FieldReader r(j, path);
  if (!r.ok()) {
    p.unknown(r);
    p.ok = false;
    return std::nullopt;
  }
  Matcher m;
  // A matcher sets two or three of its ten fields. Asking the reader for an absent field costs a snake_case
  // spelling and a Result; `present` answers first, with the reader's result (the default) when neither
  // spelling is there.
  auto present = [&](std::string_view camel, std::string_view snake) {
    return j.is_object() && (j.contains(camel) || j.contains(snake));
  };
  auto str = [&](std::string_view camel, std::string_view snake, std::string& out) {
    if (!present(camel, snake)) return;
    auto v = r.string(camel);
    if (p.take(v)) out = *v;
  };
  auto flag = [&](std::string_view camel, std::string_view snake, bool& out) {
    if (!present(camel, snake)) return;
    auto v = r.boolean(camel);
    if (p.take(v)) out = *v;
  };
  str("name", "name", m.name);
  str("regexMatch", "regex_match", m.regex_match);
  str("exactMatch", "exact_match", m.exact_match);
  str("prefixMatch", "prefix_match", m.prefix_match);
  str("suffixMatch", "suffix_match", m.suffix_match);
  flag("presentMatch", "present_match", m.present_match);
  flag("invertMatch", "invert_match", m.invert_match);
  flag("isExactMatchEmpty", "is_exact_match_empty", m.is_exact_match_empty);
  flag("presentMatchSeparate", "present_match_separate", m.present_match_separate);
  flag("useQueryMatch", "use_query_match", m.use_query_match);
  auto source = r.enumeration("matchSource", {"HeadMatch", "QueryMatch", "JsonBodyMatch", "SourceIpMatch"});
  if (p.take(source)) m.source = static_cast<MatchSource>(*source);
  p.unknown(r);
  if (!p.ok) return std::nullopt;

  bool any_string = !m.regex_match.empty() || !m.exact_match.empty() || !m.prefix_match.empty() || !m.suffix_match.empty();
  switch (m.source) {
    case MatchSource::kSourceIp:
      if (m.exact_match.empty()) p.error("SourceIpMatch needs exactMatch (an IP or a comma-separated list)", path);
      break;
    case MatchSource::kJsonBody:
      if (m.name.empty()) p.error("JsonBodyMatch needs a name (the JSON field)", core::join_path(path, "name"));
      // Stock Envoy can only compare a body field for equality (json_to_metadata + a metadata action).
      else if (m.exact_match.empty()) p.error("JsonBodyMatch supports only exactMatch", path);
      break;
    case MatchSource::kQuery:
    case MatchSource::kHead:
      if (m.name.empty()) p.error("a header or query matcher needs a name", core::join_path(path, "name"));
      else if (m.source == MatchSource::kQuery || m.use_query_match) {
        if (!any_string) p.error("a query matcher needs regexMatch, exactMatch, prefixMatch or suffixMatch", path);
      } else if (!any_string && !m.is_exact_match_empty && !m.present_match && !m.present_match_separate) {
        p.error("a header matcher needs regexMatch, exactMatch, prefixMatch, suffixMatch, isExactMatchEmpty, "
                "presentMatch or presentMatchSeparate",
                path);
      }
      break;
  }
  if (!p.ok) return std::nullopt;
  return m;
}

std::optional<Action> parse_action(const Json& j, const std::string& path, Problems& p) {
  FieldReader r(j, path);
  if (!r.ok()) {
    p.unknown(r);
    p.ok = false;
    return std::nullopt;
  }
  Action a;
  auto quota = r.get("quota");
  if (!quota) {
    p.error("quota is required", r.child("quota"));
  } else if (quota->is_number()) {  // `quota: 10` is what users write; the proto field is a string
    double q = quota->get<double>();
    if (q < 0 || !std::isfinite(q)) p.error("expected a non-negative quota, got " + quota->dump(), r.child("quota"));
    else a.quota = quota->dump();
  } else if (!quota->is_string()) {
    p.error(std::string("expected a string expression, got ") + quota->type_name(), r.child("quota"));
  } else {
    a.quota = quota->get<std::string>();
    if (auto c = expr::check_expression(a.quota); !c) p.error(c.error().message, r.child("quota"));
  }
  if (const Json* fi = r.get("fillInterval")) {
    auto d = parse_duration(*fi, r.child("fillInterval"));
    if (p.take(d)) a.fill_interval = *d;
  } else {
    p.error("fillInterval is required", r.child("fillInterval"));
  }
  auto strategy = r.string("strategy");
  if (p.take(strategy)) {
    a.strategy = *strategy;
    if (!a.strategy.empty() && a.strategy != "single" && a.strategy != "average" && a.strategy != "global")
      p.error("expected single, average or global, got \"" + a.strategy + "\"", r.child("strategy"));
  }
  if (const Json* headers = r.get("headersToAdd")) {
    if (!headers->is_array()) {
      p.error("expected a list of {key, value}", r.child("headersToAdd"));
    } else {
      for (size_t i = 0; i < headers->size(); ++i) {
        FieldReader h((*headers)[i], r.child("headersToAdd") + "[" + std::to_string(i) + "]");
        HeaderValue hv;
        auto k = h.string("key");
        auto v = h.string("value");
        if (p.take(k)) hv.key = *k;
        if (p.take(v)) hv.value = *v;
        if (h.ok() && hv.key.empty()) p.error("key is required", h.child("key"));
        p.unknown(h);
        if (!h.ok()) p.ok = false;
        a.headers_to_add.push_back(std::move(hv));
      }
    }
  }
  p.unknown(r);
  return a;
}

std::optional<Descriptor> parse_descriptor(const Json& j, const std::string& path, Problems& p) {
  FieldReader r(j, path);
  if (!r.ok()) {
    p.unknown(r);
    p.ok = false;
    return std::nullopt;
  }
  Descriptor d;
  d.field = path;
  auto condition = r.get("condition");
  if (!condition) {
    p.error("condition is required (\"true\" for always)", r.child("condition"));
  } else if (condition->is_boolean()) {  // `condition: true` unquoted in YAML
    d.condition = condition->get<bool>() ? "true" : "false";
  } else if (!condition->is_string()) {
    p.error(std::string("expected a string expression, got ") + condition->type_name(), r.child("condition"));
  } else {
    d.condition = condition->get<std::string>();
    if (d.condition.empty()) p.error("condition is required (\"true\" for always)", r.child("condition"));
    else if (auto c = expr::check_expression(d.condition); !c) p.error(c.error().message, r.child("condition"));
  }
  if (const Json* action = r.get("action")) {
    if (auto a = parse_action(*action, r.child("action"), p)) d.action = std::move(*a);
  } else {
    p.error("action is required", r.child("action"));
  }
  if (const Json* match = r.get("match")) {
    if (!match->is_array()) {
      p.error("expected a list of matchers", r.child("match"));
    } else {
      for (size_t i = 0; i < match->size(); ++i)
        if (auto m = parse_matcher((*match)[i], r.child("match") + "[" + std::to_string(i) + "]", p))
          d.match.push_back(std::move(*m));
    }
  }
  if (const Json* target = r.get("target")) d.target = parse_target(*target, r.child("target"), p);
  auto ck = r.string("customKey");
  auto cv = r.string("customValue");
  if (p.take(ck)) d.custom_key = *ck;
  if (p.take(cv)) d.custom_value = *cv;
  if (d.custom_key.empty() != d.custom_value.empty())
    p.error("customKey and customValue go together", r.child(d.custom_key.empty() ? "customKey" : "customValue"));
  p.unknown(r);

  if (p.ok) {
    bool global = d.action.global();
    for (size_t i = 0; i < d.match.size(); ++i) {
      if (d.match[i].present_match_separate && !global)
        p.error("presentMatchSeparate needs strategy global (a local bucket cannot count per header value)",
                r.child("match") + "[" + std::to_string(i) + "].presentMatchSeparate");
    }
    if (global && d.action.fill_interval && d.action.fill_interval->nanos == 0) {
      auto s = d.action.fill_interval->seconds;
      if (s != 1 && s != 60 && s != 3600 && s != 86400)
        p.error("strategy global needs a fillInterval of 1s, 60s, 3600s or 86400s (the RLS units), got " +
                    std::to_string(s) + "s",
                r.child("action.fillInterval"));
    } else if (global && d.action.fill_interval) {
      p.error("strategy global needs a whole number of seconds (1s, 60s, 3600s or 86400s)", r.child("action.fillInterval"));
    }
  }
  if (!p.ok) return std::nullopt;
  return d;
}

// action.strategy read straight from the JSON, without decoding the descriptor.
bool raw_strategy_is_global(const Json& descriptor) {
  if (!descriptor.is_object()) return false;
  auto action = descriptor.find("action");
  if (action == descriptor.end() || !action->is_object()) return false;
  auto strategy = action->find("strategy");
  return strategy != action->end() && strategy->is_string() && strategy->get_ref<const std::string&>() == "global";
}

}  // namespace

core::Result<Duration> parse_duration(const Json& value, const std::string& field) {
  Duration d;
  if (value.is_string()) {
    // protojson form: "1s", "0.5s", "60s".
    const auto& s = value.get_ref<const std::string&>();
    if (s.size() < 2 || s.back() != 's') return fail("expected a duration such as \"1s\" or {seconds: 1}, got \"" + s + "\"", field);
    std::string number = s.substr(0, s.size() - 1);
    auto dot = number.find('.');
    std::string whole = number.substr(0, dot);
    std::string frac = dot == std::string::npos ? "" : number.substr(dot + 1);
    if (whole.empty() || whole.size() > 12 || frac.size() > 9 ||
        whole.find_first_not_of("0123456789") != std::string::npos || frac.find_first_not_of("0123456789") != std::string::npos)
      return fail("expected a duration such as \"1s\" or {seconds: 1}, got \"" + s + "\"", field);
    d.seconds = std::stoll(whole);
    frac.resize(9, '0');
    d.nanos = static_cast<int32_t>(std::stol(frac));
  } else {
    FieldReader r(value, field);
    if (!r.ok() || !value.is_object()) return fail("expected a duration such as {seconds: 1} or \"1s\"", field);
    auto seconds = r.integer("seconds");
    if (!seconds) return std::unexpected(seconds.error());
    auto nanos = r.integer("nanos");
    if (!nanos) return std::unexpected(nanos.error());
    if (auto unknown = r.unknown_fields(); !unknown.empty()) return std::unexpected(unknown.front());
    if (*nanos < 0 || *nanos >= 1000000000) return fail("nanos must be between 0 and 999999999", core::join_path(field, "nanos"));
    if (*seconds < 0 || *seconds > 315576000000) return fail("seconds must be between 0 and 315576000000", core::join_path(field, "seconds"));
    d.seconds = *seconds;
    d.nanos = static_cast<int32_t>(*nanos);
  }
  if (d.seconds == 0 && d.nanos == 0) return fail("the fill interval must be positive", field);
  return d;
}

ParsedLimiter parse_smart_limiter(const core::Object& limiter, Descriptors which) {
  ParsedLimiter out;
  const Json& spec = limiter.spec();
  FieldReader r(spec, "spec");
  Problems top{out.problems};
  if (!r.ok() || spec.is_null()) {
    top.error(spec.is_null() ? "spec is required" : std::string("expected a mapping, got ") + spec.type_name(), "spec");
  } else {
    auto gateway = r.boolean("gateway");
    if (top.take(gateway)) out.spec.gateway = *gateway;
    auto host = r.string("host");
    if (top.take(host)) out.spec.host = *host;
    if (auto rls = r.string("rls"); !rls) top.take(rls);  // deprecated and unused, but a known field
    if (const Json* ws = r.get("workloadSelector")) {
      if (!ws->is_object()) {
        top.error("expected a map of labels", r.child("workloadSelector"));
      } else {
        for (auto it = ws->begin(); it != ws->end(); ++it) {
          if (it->is_string()) out.spec.workload_selector[it.key()] = it->get<std::string>();
          else top.error("expected a string label value", r.child("workloadSelector") + "." + it.key());
        }
      }
    }
    if (const Json* t = r.get("target")) {
      Problems tp{out.problems};
      out.spec.target = parse_target(*t, r.child("target"), tp);
      if (!tp.ok) out.spec.target.reset();
    }
    const Json* sets = r.get("sets");
    if (!sets) {
      top.error("sets is required (e.g. sets: {_base: {descriptor: [...]}})", r.child("sets"));
    } else if (!sets->is_object()) {
      top.error("expected a map of set name to {descriptor: [...]}", r.child("sets"));
    } else {
      for (auto it = sets->begin(); it != sets->end(); ++it) {
        std::string set_path = r.child("sets") + "." + it.key();
        FieldReader sr(*it, set_path);
        auto& descriptors = out.spec.sets[it.key()];
        const Json* list = sr.get("descriptor");
        if (!sr.ok()) {
          top.error(std::string("expected {descriptor: [...]}, got ") + it->type_name(), set_path);
          continue;
        }
        if (list && !list->is_array()) {
          top.error("expected a list of descriptors", sr.child("descriptor"));
          continue;
        }
        if (list) {
          for (size_t i = 0; i < list->size(); ++i) {
            if (which == Descriptors::kGlobalOnly && !raw_strategy_is_global((*list)[i])) continue;
            Problems dp{out.problems};
            if (auto d = parse_descriptor((*list)[i], sr.child("descriptor") + "[" + std::to_string(i) + "]", dp))
              descriptors.push_back(std::move(*d));
          }
        }
        for (auto& e : sr.unknown_fields()) out.problems.push_back(std::move(e));
      }
    }
    for (auto& e : r.unknown_fields()) out.problems.push_back(std::move(e));
  }
  if (!out.problems.empty()) {
    std::string ref = limiter.ref();
    for (auto& e : out.problems)
      if (e.object.empty()) e.object = ref;
  }
  return out;
}

}  // namespace slime::limiter

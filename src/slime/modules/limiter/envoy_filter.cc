#include "slime/modules/limiter/envoy_filter.h"

#include <algorithm>
#include <map>

namespace slime::limiter {
namespace {

using core::Json;

constexpr const char* kTypedStruct = "type.googleapis.com/udpa.type.v1.TypedStruct";
constexpr const char* kLocalRateLimitType = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit";
constexpr const char* kRateLimitType = "type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit";
constexpr const char* kJsonToMetadataType =
    "type.googleapis.com/envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata";
constexpr const char* kLocalFilter = "envoy.filters.http.local_ratelimit";
constexpr const char* kGlobalFilter = "envoy.filters.http.ratelimit";
constexpr const char* kJsonToMetadataFilter = "envoy.filters.http.json_to_metadata";
// Where JsonBodyMatch fields land in dynamic metadata for the rate-limit `metadata` action.
constexpr const char* kBodyMetadataNamespace = "slime.limiter.body";

struct Keyed {
  RouteConfig key;
  std::vector<std::pair<const WrappedDescriptor*, uint32_t>> descriptors;  // with their ids
};

// Groups (descriptor, route config) pairs by route config in first-seen order.
std::vector<Keyed> group_by_route(const std::vector<const WrappedDescriptor*>& descs, const std::vector<uint32_t>& ids,
                                  bool gateway) {
  std::vector<Keyed> groups;
  std::map<RouteConfig, size_t> index;
  for (size_t i = 0; i < descs.size(); ++i) {
    for (auto& rc : route_configs(descs[i]->effective_target, gateway)) {
      auto [it, added] = index.emplace(rc, groups.size());
      if (added) groups.push_back({rc, {}});
      groups[it->second].descriptors.push_back({descs[i], ids[i]});
    }
  }
  return groups;
}

Json with_proxy(Json match, const LimiterConfig& config) {
  if (!config.proxy_version.empty()) match["proxy"] = {{"proxyVersion", config.proxy_version}};
  return match;
}

Json route_match(const RouteConfig& rc, const LimiterConfig& config) {
  Json vhost = Json::object();
  if (!rc.vhost.empty()) vhost["name"] = rc.vhost;
  if (!rc.route.empty()) vhost["route"] = {{"name", rc.route}};
  return with_proxy({{"context", rc.context}, {"routeConfiguration", {{"vhost", vhost}}}}, config);
}

const char* apply_to(const RouteConfig& rc) { return rc.route.empty() ? "VIRTUAL_HOST" : "HTTP_ROUTE"; }

Json filter_match(const std::string& context, const LimiterConfig& config) {
  const char* hcm = config.legacy_filter_names ? "envoy.http_connection_manager" : "envoy.filters.network.http_connection_manager";
  const char* router = config.legacy_filter_names ? "envoy.router" : "envoy.filters.http.router";
  return with_proxy({{"context", context},
                     {"listener", {{"filterChain", {{"filter", {{"name", hcm}, {"subFilter", {{"name", router}}}}}}}}}},
                    config);
}

Json typed_struct(const char* type_url, Json value) {
  return {{"@type", kTypedStruct}, {"type_url", type_url}, {"value", std::move(value)}};
}

struct Kinds {
  std::vector<const Matcher*> query, header, ip, body;
  const Matcher* separate = nullptr;
};

Kinds classify(const WrappedDescriptor& d) {
  Kinds k;
  for (const auto& m : d.match) {
    switch (m.source) {
      case MatchSource::kSourceIp: k.ip.push_back(&m); break;
      case MatchSource::kJsonBody: k.body.push_back(&m); break;
      case MatchSource::kQuery: k.query.push_back(&m); break;
      case MatchSource::kHead:
        if (m.use_query_match) k.query.push_back(&m);
        else {
          k.header.push_back(&m);
          if (m.present_match_separate && !k.separate) k.separate = &m;
        }
        break;
    }
  }
  return k;
}

Json header_matcher(const Matcher& m) {
  Json h = {{"name", m.name}};
  if (m.invert_match) h["invert_match"] = true;
  if (!m.regex_match.empty()) h["safe_regex_match"] = {{"google_re2", Json::object()}, {"regex", m.regex_match}};
  else if (!m.exact_match.empty()) h["exact_match"] = m.exact_match;
  else if (!m.prefix_match.empty()) h["prefix_match"] = m.prefix_match;
  else if (!m.suffix_match.empty()) h["suffix_match"] = m.suffix_match;
  else if (m.is_exact_match_empty) h["exact_match"] = "";
  else if (m.present_match) h["present_match"] = true;
  return h;
}

Json query_matcher(const Matcher& m) {
  Json s = Json::object();
  if (!m.regex_match.empty()) s["safe_regex"] = {{"google_re2", Json::object()}, {"regex", m.regex_match}};
  else if (!m.exact_match.empty()) s["exact"] = m.exact_match;
  else if (!m.prefix_match.empty()) s["prefix"] = m.prefix_match;
  else if (!m.suffix_match.empty()) s["suffix"] = m.suffix_match;
  return {{"name", m.name}, {"string_match", s}};
}

std::string request_header_key(const WrappedDescriptor& d, std::string_view ns, std::string_view name, uint32_t id) {
  (void)d;
  return "RequestHeader[" + std::string(name) + "." + std::string(ns) + "]-Id[" + std::to_string(id) + "]";
}

// The route actions of one descriptor (§3.3); the entries of §3.4/§3.5 follow the same order.
Json actions(const WrappedDescriptor& d, const std::string& value, const std::string& header_key) {
  Json out = Json::array();
  if (!d.custom_key.empty()) return out;  // the user brings their own action
  if (d.match.empty()) {
    out.push_back({{"generic_key", {{"descriptor_value", value}}}});
    return out;
  }
  Kinds k = classify(d);
  if (k.separate) {
    out.push_back({{"generic_key", {{"descriptor_value", value}}}});
    out.push_back({{"request_headers", {{"header_name", k.separate->name}, {"descriptor_key", header_key}}}});
    return out;
  }
  if (!k.query.empty()) {
    Json params = Json::array();
    for (auto* m : k.query) params.push_back(query_matcher(*m));
    out.push_back({{"query_parameter_value_match", {{"descriptor_value", value}, {"query_parameters", params}}}});
  }
  if (!k.header.empty()) {
    Json headers = Json::array();
    for (auto* m : k.header) headers.push_back(header_matcher(*m));
    out.push_back({{"header_value_match", {{"descriptor_value", value}, {"headers", headers}}}});
  }
  bool generic = false;
  if (!k.ip.empty()) {
    if (d.action.global()) {
      out.push_back({{"generic_key", {{"descriptor_value", value}}}});
      generic = true;
    }
    out.push_back({{"remote_address", Json::object()}});
  }
  if (!k.body.empty()) {
    // Stock Envoy form: json_to_metadata puts the field into dynamic metadata, a metadata action reads it.
    if (!generic) out.push_back({{"generic_key", {{"descriptor_value", value}}}});
    for (auto* m : k.body)
      out.push_back({{"metadata",
                      {{"descriptor_key", "body_match"},
                       {"metadata_key", {{"key", kBodyMetadataNamespace}, {"path", Json::array({{{"key", m->name}}})}}},
                       {"source", "DYNAMIC"},
                       {"skip_if_absent", true}}}});
  }
  return out;
}

// Local descriptor entries (§3.4), in the order of actions().
Json local_entries(const WrappedDescriptor& d, const std::string& value) {
  Json out = Json::array();
  auto entry = [&](const std::string& k, const std::string& v) { out.push_back({{"key", k}, {"value", v}}); };
  if (!d.custom_key.empty()) {
    entry(d.custom_key, d.custom_value);
    return out;
  }
  if (d.match.empty()) {
    entry("generic_key", value);
    return out;
  }
  Kinds k = classify(d);
  if (!k.query.empty()) entry("query_match", value);
  if (!k.header.empty()) entry("header_match", value);
  if (!k.ip.empty()) entry("remote_address", k.ip.front()->exact_match);
  if (!k.body.empty()) {
    entry("generic_key", value);
    for (auto* m : k.body) entry("body_match", m->exact_match);
  }
  return out;
}

Json token_bucket(uint64_t quota, const Duration& interval) {
  return {{"maxTokens", quota}, {"tokensPerFill", quota}, {"fillInterval", duration_string(interval)}};
}

std::vector<std::string> contexts_of(const std::vector<Keyed>& groups) {
  std::vector<std::string> out;
  for (const auto& g : groups)
    if (std::find(out.begin(), out.end(), g.key.context) == out.end()) out.push_back(g.key.context);
  return out;
}

}  // namespace

std::string duration_string(const Duration& d) {
  std::string s = std::to_string(d.seconds);
  if (d.nanos != 0) {
    std::string n = std::to_string(d.nanos);
    n.insert(0, 9 - n.size(), '0');
    if (d.nanos % 1000000 == 0) n.resize(3);
    else if (d.nanos % 1000 == 0) n.resize(6);
    s += "." + n;
  }
  return s + "s";
}

std::vector<RouteConfig> route_configs(const Target& t, bool gateway) {
  std::vector<RouteConfig> out;
  std::string port = t.port != 0 ? ":" + std::to_string(t.port) : "";
  std::string context = gateway ? "GATEWAY" : "SIDECAR_OUTBOUND";
  if (t.outbound() && !t.route.empty()) {
    for (const auto& r : t.route) {
      auto slash = r.find('/');
      if (slash == std::string::npos || r.find('/', slash + 1) != std::string::npos) continue;
      out.push_back({context, r.substr(0, slash) + port, r.substr(slash + 1)});
    }
    return out;
  }
  if (t.outbound() && !t.host.empty()) {
    for (const auto& h : t.host) out.push_back({context, h + port, ""});
    return out;
  }
  out.push_back({"SIDECAR_INBOUND", t.port != 0 ? "inbound|http|" + std::to_string(t.port) : "", "default"});
  return out;
}

std::string descriptor_value(const WrappedDescriptor& d, std::string_view ns, std::string_view name) {
  return "Service[" + std::string(name) + "." + std::string(ns) + "]-Id[" + std::to_string(descriptor_id(d, ns, name)) + "]";
}

Json envoy_filter_spec(const Evaluation& ev, const EvaluatedSet& set, const LimiterConfig& config,
                       std::vector<core::Error>& problems) {
  std::vector<const WrappedDescriptor*> all, global, local, body;
  std::vector<uint32_t> all_ids, global_ids, local_ids, body_ids;
  for (const auto& d : set.descriptors) {
    uint32_t id = descriptor_id(d, ev.ns, ev.name);
    all.push_back(&d);
    all_ids.push_back(id);
    (d.action.global() ? global : local).push_back(&d);
    (d.action.global() ? global_ids : local_ids).push_back(id);
    if (std::any_of(d.match.begin(), d.match.end(), [](const Matcher& m) { return m.source == MatchSource::kJsonBody; })) {
      body.push_back(&d);
      body_ids.push_back(id);
    }
  }
  auto value_of = [&](uint32_t id) { return "Service[" + ev.name + "." + ev.ns + "]-Id[" + std::to_string(id) + "]"; };
  auto header_key_of = [&](const WrappedDescriptor& d, uint32_t id) { return request_header_key(d, ev.ns, ev.name, id); };

  Json patches = Json::array();
  // 1. Route rate_limits, one patch per route config.
  for (const auto& g : group_by_route(all, all_ids, ev.spec.gateway)) {
    Json rate_limits = Json::array();
    for (auto [d, id] : g.descriptors) {
      Json a = actions(*d, value_of(id), header_key_of(*d, id));
      if (!a.empty()) rate_limits.push_back({{"actions", std::move(a)}});
    }
    if (rate_limits.empty()) continue;
    Json value = g.key.route.empty() ? Json{{"rate_limits", rate_limits}} : Json{{"route", {{"rate_limits", rate_limits}}}};
    patches.push_back({{"applyTo", apply_to(g.key)},
                       {"match", route_match(g.key, config)},
                       {"patch", {{"operation", "MERGE"}, {"value", std::move(value)}}}});
  }
  // JsonBodyMatch: lift the body fields into dynamic metadata, first in the chain so that either
  // rate-limit filter sees them.
  if (!body.empty()) {
    std::vector<std::string> fields;
    for (auto* d : body)
      for (const auto& m : d->match)
        if (m.source == MatchSource::kJsonBody && std::find(fields.begin(), fields.end(), m.name) == fields.end())
          fields.push_back(m.name);
    Json rules = Json::array();
    for (const auto& f : fields)
      rules.push_back({{"selectors", Json::array({{{"key", f}}})},
                       {"on_present", {{"metadata_namespace", kBodyMetadataNamespace}, {"key", f}, {"type", "STRING"}}}});
    for (const auto& context : contexts_of(group_by_route(body, body_ids, ev.spec.gateway)))
      patches.push_back({{"applyTo", "HTTP_FILTER"},
                         {"match", filter_match(context, config)},
                         {"patch",
                          {{"operation", "INSERT_FIRST"},
                           {"value",
                            {{"name", kJsonToMetadataFilter},
                             {"typed_config", typed_struct(kJsonToMetadataType, {{"request_rules", {{"rules", rules}}}})}}}}}});
  }
  // 2. Global: the ratelimit filter and the optional per-route placeholders.
  if (config.global_enabled() && !global.empty()) {
    auto groups = group_by_route(global, global_ids, ev.spec.gateway);
    if (!config.disable_insert_global_rate_limit) {
      std::string cluster = config.rls_cluster();
      if (cluster.empty()) {
        core::Error e;
        e.object = std::string(kKind) + " " + ev.ns + "/" + ev.name;
        e.field = "spec.sets." + set.name;
        e.message = "strategy global needs the module's rls {service, port}; the ratelimit filter is not inserted";
        problems.push_back(std::move(e));
      } else {
        Json value = {{"domain", config.domain},
                      {"rate_limit_service",
                       {{"grpcService", {{"envoyGrpc", {{"clusterName", cluster}}}}}, {"transportApiVersion", "V3"}}}};
        for (const auto& context : contexts_of(groups))
          patches.push_back({{"applyTo", "HTTP_FILTER"},
                             {"match", filter_match(context, config)},
                             {"patch",
                              {{"operation", "INSERT_BEFORE"},
                               {"value", {{"name", kGlobalFilter}, {"typed_config", typed_struct(kRateLimitType, value)}}}}}});
      }
    }
    if (config.enable_ratelimit_placeholder_in_route) {
      for (const auto& g : groups) {
        Json placeholder = {{"@type", "type.googleapis.com/envoy.config.route.v3.FilterConfig"},
                            {"config", {{"@type", "type.googleapis.com/google.protobuf.Empty"}, {"value", Json::object()}}},
                            {"is_optional", true}};
        patches.push_back({{"applyTo", apply_to(g.key)},
                           {"match", route_match(g.key, config)},
                           {"patch",
                            {{"operation", "MERGE"},
                             {"value", {{"typed_per_filter_config", {{kGlobalFilter, std::move(placeholder)}}}}}}}});
      }
    }
  }
  // 3. Local: the local_ratelimit filter and the token buckets per route config.
  if (!local.empty()) {
    auto groups = group_by_route(local, local_ids, ev.spec.gateway);
    if (!config.disable_insert_local_rate_limit)
      for (const auto& context : contexts_of(groups))
        patches.push_back({{"applyTo", "HTTP_FILTER"},
                           {"match", filter_match(context, config)},
                           {"patch",
                            {{"operation", "INSERT_BEFORE"},
                             {"value",
                              {{"name", kLocalFilter},
                               {"typed_config", typed_struct(kLocalRateLimitType, {{"statPrefix", "http_local_rate_limiter"}})}}}}}});
    for (const auto& g : groups) {
      Json descriptors = Json::array();
      Json headers = Json::array();
      for (auto [d, id] : g.descriptors) {
        descriptors.push_back({{"entries", local_entries(*d, value_of(id))},
                               {"tokenBucket", token_bucket(d->quota, *d->action.fill_interval)}});
        for (const auto& h : d->action.headers_to_add)
          headers.push_back({{"header", {{"key", h.key}, {"value", h.value}}}, {"append", true}});
      }
      Json value = {{"statPrefix", "http_local_rate_limiter"},
                    {"tokenBucket", {{"maxTokens", 100000}, {"tokensPerFill", 100000}, {"fillInterval", "1s"}}},
                    {"filterEnabled", {{"runtimeKey", "local_rate_limit_enabled"}, {"defaultValue", {{"numerator", 100}}}}},
                    {"filterEnforced", {{"runtimeKey", "local_rate_limit_enforced"}, {"defaultValue", {{"numerator", 100}}}}},
                    {"descriptors", std::move(descriptors)}};
      if (!headers.empty()) value["responseHeadersToAdd"] = std::move(headers);
      patches.push_back({{"applyTo", apply_to(g.key)},
                         {"match", route_match(g.key, config)},
                         {"patch",
                          {{"operation", "MERGE"},
                           {"value", {{"typed_per_filter_config", {{kLocalFilter, typed_struct(kLocalRateLimitType, value)}}}}}}}});
    }
  }
  Json spec = {{"configPatches", std::move(patches)}};
  if (!set.selector.empty()) {
    Json labels = Json::object();
    for (const auto& [k, v] : set.selector) labels[k] = v;
    spec["workloadSelector"] = {{"labels", std::move(labels)}};
  }
  return spec;
}

}  // namespace slime::limiter

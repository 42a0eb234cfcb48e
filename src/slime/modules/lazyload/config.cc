#include "slime/modules/lazyload/config.h"

#include <cctype>

#include "slime/core/fields.h"

namespace slime::lazyload {

using core::FieldReader;
using core::Json;

#define LL_TRY(var, expr)                                          \
  do {                                                             \
    auto _r = (expr);                                              \
    if (!_r) return std::unexpected(std::move(_r.error()));        \
    var = std::move(*_r);                                          \
  } while (0)

std::vector<std::string> split_list(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    std::string item = s.substr(start, end - start);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = end + 1;
  }
  return out;
}

// The longest duration accepted: far beyond any useful TTL, and small enough that adding it to a Unix time
// in seconds, or converting it to nanoseconds, cannot overflow.
constexpr int64_t kMaxDurationSeconds = 100LL * 365 * 24 * 3600;

core::Result<std::chrono::seconds> parse_duration(const Json& v) {
  const std::string too_long = "duration longer than 100 years (" + std::to_string(kMaxDurationSeconds) + "s)";
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(kMaxDurationSeconds))
    return core::fail(too_long);
  if (v.is_number_integer() || v.is_number_unsigned()) {
    if (v.get<int64_t>() < 0) return core::fail("expected a non-negative duration");
    if (v.get<int64_t>() > kMaxDurationSeconds) return core::fail(too_long);
    return std::chrono::seconds(v.get<int64_t>());
  }
  if (!v.is_string()) return core::fail(std::string("expected a duration such as \"24h\", got ") + v.type_name());
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty()) return core::fail("expected a duration such as \"24h\", got an empty string");
  double total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i) return core::fail("expected a duration such as \"24h\", got \"" + s + "\"");
    double n = std::strtod(s.substr(i, j - i).c_str(), nullptr);
    size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k]))) ++k;
    std::string unit = s.substr(j, k - j);
    double mult;
    if (unit == "h") mult = 3600;
    else if (unit == "m") mult = 60;
    else if (unit == "s" || (unit.empty() && k == s.size() && i == 0)) mult = 1;
    else if (unit == "ms") mult = 0.001;
    else return core::fail("unknown duration unit '" + unit + "' in \"" + s + "\" (use h, m, s or ms)");
    total += n * mult;
    // Checked before the conversion: a double beyond int64's range (1e30h) makes the cast undefined.
    if (!(total <= static_cast<double>(kMaxDurationSeconds))) return core::fail(too_long + ", got \"" + s + "\"");
    i = k;
  }
  return std::chrono::seconds(static_cast<int64_t>(total));
}

namespace {

// A list of strings; numbers are accepted and printed (wormholePort: [9080] is a common slip).
core::Result<std::vector<std::string>> string_list(FieldReader& r, std::string_view name) {
  std::vector<std::string> out;
  const Json* v = r.get(name);
  if (!v) return out;
  if (!v->is_array()) return core::fail(std::string("expected a list of strings, got ") + v->type_name(), r.child(name));
  for (size_t i = 0; i < v->size(); ++i) {
    const Json& e = (*v)[i];
    if (e.is_string()) out.push_back(e.get<std::string>());
    else if (e.is_number_integer() || e.is_number_unsigned()) out.push_back(std::to_string(e.get<int64_t>()));
    else
      return core::fail(std::string("expected a string, got ") + e.type_name(),
                        r.child(name) + "[" + std::to_string(i) + "]");
  }
  return out;
}

core::Result<std::map<std::string, std::string>> string_map(const Json* v, const std::string& path) {
  std::map<std::string, std::string> out;
  if (!v) return out;
  if (!v->is_object()) return core::fail(std::string("expected a mapping of strings, got ") + v->type_name(), path);
  for (auto& [k, e] : v->items()) {
    if (!e.is_string()) return core::fail(std::string("expected a string, got ") + e.type_name(), path + "." + k);
    out[k] = e.get<std::string>();
  }
  return out;
}

void add_unknown(FieldReader& r, std::vector<core::Error>& warnings) {
  for (auto& e : r.unknown_fields()) warnings.push_back(std::move(e));
}

core::Result<std::vector<Dispatch>> parse_dispatches(FieldReader& r, std::vector<core::Error>& warnings) {
  std::vector<Dispatch> out;
  const Json* v = r.get("dispatches");
  if (!v) return out;
  if (!v->is_array()) return core::fail("expected a list", r.child("dispatches"));
  for (size_t i = 0; i < v->size(); ++i) {
    FieldReader d((*v)[i], r.child("dispatches") + "[" + std::to_string(i) + "]");
    if (!d.ok()) return core::fail("expected a mapping", d.path());
    Dispatch x;
    if (const Json* n = d.get("name"); n && n->is_number()) x.name = n->dump();  // `name: 163` unquoted
    else LL_TRY(x.name, d.string("name"));
    LL_TRY(x.domains, string_list(d, "domains"));
    LL_TRY(x.cluster, d.string("cluster"));
    LL_TRY(x.domain_regex, d.string("domainRegex"));
    add_unknown(d, warnings);
    out.push_back(std::move(x));
  }
  return out;
}

core::Result<std::vector<DomainAliases::Rule>> parse_alias_rules(FieldReader& r, std::vector<core::Error>& warnings) {
  std::vector<DomainAliases::Rule> out;
  const Json* v = r.get("domainAliases");
  if (!v) return out;
  if (!v->is_array()) return core::fail("expected a list", r.child("domainAliases"));
  for (size_t i = 0; i < v->size(); ++i) {
    FieldReader d((*v)[i], r.child("domainAliases") + "[" + std::to_string(i) + "]");
    if (!d.ok()) return core::fail("expected a mapping", d.path());
    DomainAliases::Rule rule;
    LL_TRY(rule.pattern, d.string("pattern"));
    LL_TRY(rule.templates, string_list(d, "templates"));
    add_unknown(d, warnings);
    out.push_back(std::move(rule));
  }
  return out;
}

core::Result<GlobalSidecarComponent> parse_component(const Json* v, const std::string& path,
                                                     std::vector<core::Error>& warnings) {
  GlobalSidecarComponent c;
  if (!v) return c;
  FieldReader r(*v, path);
  if (!r.ok()) return core::fail("expected a mapping", path);
  LL_TRY(c.enable, r.boolean("enable", true));
  LL_TRY(c.port, r.integer("port", 80));
  LL_TRY(c.probe_port, r.integer("probePort", 18181));
  LL_TRY(c.replicas, r.integer("replicas", 1));
  if (c.port <= 0) c.port = 80;  // the chart's `default 80`
  if (c.probe_port <= 0) c.probe_port = 18181;
  if (c.replicas <= 0) c.replicas = 1;
  if (const Json* img = r.get("image")) {
    FieldReader ir(*img, r.child("image"));
    if (!ir.ok()) return core::fail("expected a mapping", ir.path());
    LL_TRY(c.image_repository, ir.string("repository", c.image_repository));
    LL_TRY(c.image_tag, ir.string("tag", ir.has("repository") ? "" : c.image_tag));
    add_unknown(ir, warnings);
  }
  if (const Json* inj = r.get("sidecarInject")) {
    FieldReader ir(*inj, r.child("sidecarInject"));
    if (!ir.ok()) return core::fail("expected a mapping", ir.path());
    LL_TRY(c.inject_enable, ir.boolean("enable"));
    LL_TRY(c.inject_mode, ir.string("mode"));
    LL_TRY(c.inject_labels, string_map(ir.get("labels"), ir.child("labels")));
    LL_TRY(c.inject_annotations, string_map(ir.get("annotations"), ir.child("annotations")));
    add_unknown(ir, warnings);
  }
  if (const Json* x = r.get("resources")) c.resources = *x;
  if (const Json* x = r.get("affinity")) c.affinity = *x;
  if (const Json* x = r.get("tolerations")) c.tolerations = *x;
  if (const Json* x = r.get("imagePullSecrets")) c.image_pull_secrets = *x;
  LL_TRY(c.legacy_filter_name, r.boolean("legacyFilterName"));
  LL_TRY(c.log_source_port, r.integer("logSourcePort", 8082));
  add_unknown(r, warnings);
  return c;
}

// "a.b.c.d/n" (n <= 32) or "v6/n" (n <= 128): what Envoy's CidrRange can hold.
bool valid_cidr(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= s.size() || s.size() - slash > 4) return false;
  int len = 0;
  for (size_t i = slash + 1; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    len = len * 10 + (s[i] - '0');
  }
  std::string ip = s.substr(0, slash);
  bool v6 = ip.find(':') != std::string::npos;
  if (len > (v6 ? 128 : 32)) return false;
  if (v6) {
    for (char c : ip)
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    return ip.find(":::") == std::string::npos;
  }
  int parts = 0;
  for (size_t start = 0; start <= ip.size(); ++parts) {
    size_t dot = ip.find('.', start);
    std::string n = ip.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (n.empty() || n.size() > 3 || (n.size() > 1 && n[0] == '0')) return false;
    for (char c : n)
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    if (std::stoi(n) > 255) return false;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts == 3;  // counted before the last part
}

core::Result<TcpLazyloadConfig> parse_tcp_lazyload(const Json* v, std::vector<core::Error>& warnings) {
  TcpLazyloadConfig c;
  if (!v) return c;
  FieldReader r(*v, "tcpLazyload");
  if (!r.ok()) return core::fail("expected a mapping", "tcpLazyload");
  LL_TRY(c.enable, r.boolean("enable"));
  LL_TRY(c.port, r.integer("port", c.port));
  if (c.port <= 0 || c.port > 65535) return core::fail("expected a port number 1..65535", r.child("port"));
  LL_TRY(c.service_cidrs, string_list(r, "serviceCidrs"));
  for (size_t i = 0; i < c.service_cidrs.size(); ++i)
    if (!valid_cidr(c.service_cidrs[i]))
      return core::fail("expected a CIDR such as 10.96.0.0/12, got '" + c.service_cidrs[i] + "'",
                        r.child("serviceCidrs") + "[" + std::to_string(i) + "]");
  if (c.enable && c.service_cidrs.empty()) {
    core::Error w;
    w.message = "tcpLazyload needs serviceCidrs (the destinations to send to the global sidecar); TCP lazy "
                "loading stays off";
    w.field = "tcpLazyload.serviceCidrs";
    warnings.push_back(std::move(w));
  }
  add_unknown(r, warnings);
  return c;
}

}  // namespace

core::Result<ParsedConfig> parse_config(const core::ModuleConfig& module) {
  ParsedConfig out;
  FenceConfig& c = out.config;
  auto& warnings = out.warnings;
  c.global = module.global;
  if (!module.name.empty()) c.module_name = module.name;
  c.prometheus_address = module.metric.prometheus_address;
  for (const auto& [name, h] : module.metric.prometheus_handlers) c.prometheus_queries[name] = h.query;

  FieldReader r(module.general, "");
  if (!r.ok()) return core::fail("expected a mapping");
  LL_TRY(c.wormhole_port, string_list(r, "wormholePort"));
  LL_TRY(c.auto_fence, r.boolean("autoFence"));
  LL_TRY(c.namespaces, string_list(r, "namespace"));
  LL_TRY(c.dispatches, parse_dispatches(r, warnings));
  LL_TRY(c.domain_alias_rules, parse_alias_rules(r, warnings));
  LL_TRY(c.default_fence, r.boolean("defaultFence"));
  LL_TRY(c.auto_port, r.boolean("autoPort"));
  LL_TRY(c.cluster_gs_namespace, r.string("clusterGsNamespace"));
  LL_TRY(c.fence_label_key_alias, r.string("fenceLabelKeyAlias"));
  LL_TRY(c.enable_short_domain, r.boolean("enableShortDomain"));
  LL_TRY(c.disable_ipv4_passthrough, r.boolean("disableIpv4Passthrough"));
  LL_TRY(c.passthrough_by_default, r.boolean("passthroughByDefault"));
  LL_TRY(c.support_h2, r.boolean("supportH2"));
  LL_TRY(c.add_env_header_via_lua, r.boolean("addEnvHeaderViaLua"));
  LL_TRY(c.global_sidecar_mode, r.string("globalSidecarMode"));
  if (!c.global_sidecar_mode.empty() && c.global_sidecar_mode != "cluster" && c.global_sidecar_mode != "namespace") {
    core::Error w;
    w.message = "expected cluster or namespace, got '" + c.global_sidecar_mode + "'; treated as cluster";
    w.field = "globalSidecarMode";
    warnings.push_back(std::move(w));
  }
  LL_TRY(c.render, r.string("render"));
  std::string mst;
  LL_TRY(mst, r.string("metricSourceType"));
  if (mst == "prometheus") c.metric_source = MetricSource::kPrometheus;
  else if (mst == "accesslog" || mst.empty()) c.metric_source = MetricSource::kAccessLog;
  else return core::fail("expected accesslog or prometheus, got '" + mst + "'", "metricSourceType");
  LL_TRY(c.cleanup_wormhole_port, r.boolean("cleanupWormholePort"));
  if (const Json* ms = r.get("managementSelectors")) {
    if (!ms->is_array()) return core::fail("expected a list of label selectors", "managementSelectors");
    for (size_t i = 0; i < ms->size(); ++i) {
      auto sel = core::LabelSelector::parse((*ms)[i]);
      if (!sel) return std::unexpected(std::move(sel.error()).at_field("managementSelectors[" + std::to_string(i) + "]"));
      c.management_selectors.push_back(std::move(*sel));
    }
  }
  if (r.has("blackNamespaceList")) {
    std::string s;
    LL_TRY(s, r.string("blackNamespaceList"));
    c.black_namespace_list = s;
  }
  if (r.has("whiteNamespaceList")) {
    std::string s;
    LL_TRY(s, r.string("whiteNamespaceList"));
    c.white_namespace_list = s;
  }
  if (c.black_namespace_list && c.white_namespace_list)
    return core::fail("blackNamespaceList and whiteNamespaceList are alternatives (a oneof); set only one",
                      "whiteNamespaceList");
  LL_TRY(c.proxy_version, r.string("proxyVersion"));
  LL_TRY(c.stable_host, string_list(r, "stableHost"));

  if (const Json* ttl = r.get("dependencyTtl")) {
    auto d = parse_duration(*ttl);
    if (!d) return std::unexpected(std::move(d.error()).at_field("dependencyTtl"));
    if (d->count() > 0) c.dependency_ttl = *d;
  }
  LL_TRY(c.max_learned_hosts, r.integer("maxLearnedHostsPerFence", c.max_learned_hosts));
  if (c.max_learned_hosts < 1 || c.max_learned_hosts > 10000)
    return core::fail("expected 1 to 10000 (each learned host takes room in the ServiceFence, whose size etcd "
                      "limits), got " + std::to_string(c.max_learned_hosts),
                      "maxLearnedHostsPerFence");
  LL_TRY(c.global_sidecar, parse_component(r.get("globalSidecar"), "globalSidecar", warnings));
  LL_TRY(c.tcp_lazyload, parse_tcp_lazyload(r.get("tcpLazyload"), warnings));
  add_unknown(r, warnings);

  // Derived values.
  c.render_global_sidecar = c.global_sidecar.enable && module.general.is_object() && !module.general.empty();
  if (c.white_namespace_list) c.white_list = split_list(*c.white_namespace_list);
  if (c.black_namespace_list) c.black_list = split_list(*c.black_namespace_list);
  if (!c.fence_label_key_alias.empty()) {
    auto colon = c.fence_label_key_alias.find(':');
    c.fence_label_key = c.fence_label_key_alias.substr(0, colon);
    if (colon != std::string::npos && colon + 1 < c.fence_label_key_alias.size())
      c.fence_label_alias = c.fence_label_key_alias.substr(colon + 1);
  }
  auto aliases = DomainAliases::compile(c.domain_alias_rules);
  if (aliases) {
    c.aliases = std::move(*aliases);
  } else {
    core::Error w = std::move(aliases.error());
    w.message += "; every domain alias rule is discarded, as the original does";
    warnings.push_back(std::move(w));
  }
  if (c.metric_source == MetricSource::kPrometheus && c.prometheus_queries.size() != 1) {
    core::Error w;
    w.message = "prometheus mode needs exactly one metric.prometheus.handlers entry, found " +
                std::to_string(c.prometheus_queries.size()) + "; no dependency will be learned";
    w.field = "metricSourceType";
    warnings.push_back(std::move(w));
  }
  return out;
}

}  // namespace slime::lazyload

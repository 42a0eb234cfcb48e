#include "slime/modules/limiter/config.h"

#include <algorithm>

#include "slime/core/fields.h"
#include "slime/modules/limiter/model.h"

namespace slime::limiter {

std::string LimiterConfig::rls_cluster() const {
  if (rls_service.empty() || rls_port == 0) return "";
  return "outbound|" + std::to_string(rls_port) + "||" + rls_service;
}

bool LimiterConfig::rev_in_scope(const std::string& rev) const {
  if (istio_revs.empty()) return true;
  if (!strict_rev && rev.empty()) return true;
  return std::find(istio_revs.begin(), istio_revs.end(), rev) != istio_revs.end();
}

core::Result<LimiterConfig> parse_limiter_config(const core::ModuleConfig& config, std::vector<core::Error>& warnings) {
  LimiterConfig c;
  core::FieldReader r(config.general, "general");
  if (!r.ok()) return core::fail("expected a mapping", "general");
  auto flag = [&](std::string_view name, bool& out) -> core::Result<void> {
    auto v = r.boolean(name);
    if (!v) return std::unexpected(v.error());
    out = *v;
    return {};
  };
  for (auto [name, out] : std::initializer_list<std::pair<std::string_view, bool*>>{
           {"disableGlobalRateLimit", &c.disable_global_rate_limit},
           {"disableAdaptive", &c.disable_adaptive},
           {"disableInsertLocalRateLimit", &c.disable_insert_local_rate_limit},
           {"disableInsertGlobalRateLimit", &c.disable_insert_global_rate_limit},
           {"enableRatelimitPlaceholderInRoute", &c.enable_ratelimit_placeholder_in_route},
           {"enableServiceEntry", nullptr},
           {"legacyFilterNames", &c.legacy_filter_names}}) {
    bool ignored = false;
    if (auto v = flag(name, out ? *out : ignored); !v) return std::unexpected(v.error());
  }
  // Known but unused by the original (and by us): the backend enum.
  (void)r.get("backend");
  // The original declared `refresh` but hard-coded its ticker to 30 s; we honour it.
  if (const core::Json* refresh = r.get("refresh")) {
    auto d = parse_duration(*refresh, r.child("refresh"));
    if (!d) return std::unexpected(d.error());
    c.refresh = std::chrono::milliseconds(d->seconds * 1000 + d->nanos / 1000000);
    if (c.refresh < std::chrono::seconds(1)) return core::fail("expected at least 1s", r.child("refresh"));
  }
  auto domain = r.string("domain");
  if (!domain) return std::unexpected(domain.error());
  if (!domain->empty()) c.domain = *domain;
  auto pv = r.string("proxyVersion");
  if (!pv) return std::unexpected(pv.error());
  c.proxy_version = *pv;
  if (const core::Json* cm = r.get("rlsConfigMap")) {
    core::FieldReader cr(*cm, r.child("rlsConfigMap"));
    auto name = cr.string("name");
    auto ns = cr.string("namespace");
    if (!name) return std::unexpected(name.error());
    if (!ns) return std::unexpected(ns.error());
    c.rls_configmap_name = *name;
    c.rls_configmap_namespace = *ns;
    for (auto& e : cr.unknown_fields()) warnings.push_back(std::move(e));
  }
  if (const core::Json* rls = r.get("rls")) {
    core::FieldReader rr(*rls, r.child("rls"));
    auto service = rr.string("service");
    auto port = rr.integer("port");
    if (!service) return std::unexpected(service.error());
    if (!port) return std::unexpected(port.error());
    c.rls_service = *service;
    c.rls_port = *port;
    for (auto& e : rr.unknown_fields()) warnings.push_back(std::move(e));
  }
  for (auto& e : r.unknown_fields()) warnings.push_back(std::move(e));

  if (c.global_enabled() && !c.rls_configmap_valid()) {
    core::Error e;
    e.field = "general.rlsConfigMap";
    e.message = "global rate limiting is enabled but rlsConfigMap has an empty name or namespace: the RLS ConfigMap is "
                "not maintained (set disableGlobalRateLimit: true for local limiting only)";
    warnings.push_back(std::move(e));
  }
  if (c.global_enabled() && c.rls_cluster().empty()) {
    core::Error e;
    e.field = "general.rls";
    e.message = "global rate limiting is enabled but rls has an empty service or port 0: the ratelimit filter is not inserted";
    warnings.push_back(std::move(e));
  }

  c.istio_namespace = config.global.istio_namespace;
  c.strict_rev = config.global.strict_rev;
  std::string revs = config.global.istio_rev;
  size_t pos = 0;
  while (pos <= revs.size()) {
    size_t comma = revs.find(',', pos);
    if (comma == std::string::npos) comma = revs.size();
    std::string rev = revs.substr(pos, comma - pos);
    auto b = rev.find_first_not_of(" \t");
    auto e = rev.find_last_not_of(" \t");
    if (b != std::string::npos) c.istio_revs.push_back(rev.substr(b, e - b + 1));
    pos = comma + 1;
  }
  if (!c.disable_adaptive) {
    for (const auto& [name, handler] : config.metric.prometheus_handlers) {
      if (handler.type == core::PrometheusHandler::Type::kGroup) {
        core::Error e;
        e.field = "metric.prometheus.handlers." + name;
        e.message = "Group handlers are not supported by the limiter (their values cannot be named in templates); ignored";
        warnings.push_back(std::move(e));
        continue;
      }
      if (!handler.query.empty()) c.handlers[name] = handler;
    }
  }
  return c;
}

}  // namespace slime::limiter

#include "slime/modules/plugin/plugin_config.h"

#include <re2/re2.h>

#include <algorithm>

#include "slime/core/fields.h"

namespace slime::plugin {

FilterNames FilterNames::make(bool legacy) {
  if (legacy) return {"envoy.router", "envoy.http_connection_manager", "envoy.rate_limit", "envoy.cors", "envoy.fault"};
  return {"envoy.filters.http.router", "envoy.filters.network.http_connection_manager", "envoy.filters.http.ratelimit",
          "envoy.filters.http.cors", "envoy.filters.http.fault"};
}

bool PluginConfig::rev_in_scope(const std::string& rev) const {
  if (istio_revs.empty()) return true;
  if (!strict_rev && rev.empty()) return true;
  return std::find(istio_revs.begin(), istio_revs.end(), rev) != istio_revs.end();
}

bool PluginConfig::passes_label(const std::string& key) const {
  return passthrough_label_re && RE2::PartialMatch(key, *passthrough_label_re);
}

namespace {
std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}
}  // namespace

core::Result<PluginConfig> parse_plugin_config(const core::ModuleConfig& config, std::vector<core::Error>& warnings) {
  PluginConfig c;
  core::FieldReader r(config.general, "general");
  if (!r.ok()) return core::fail(std::string("expected a mapping, got ") + config.general.type_name(), "general");
  if (const core::Json* d = r.get("configDiscoveryDefaultConfig")) {
    if (!d->is_object())
      return core::fail(std::string("expected a mapping of type URL to config, got ") + d->type_name(),
                        r.child("configDiscoveryDefaultConfig"));
    for (auto it = d->begin(); it != d->end(); ++it) {
      if (!it->is_object())
        return core::fail(std::string("expected a mapping, got ") + it->type_name(),
                          r.child("configDiscoveryDefaultConfig") + "." + it.key());
      c.config_discovery_default_config.emplace(it.key(), *it);
    }
  }
  auto pv = r.string("proxyVersion");
  if (!pv) return std::unexpected(pv.error());
  c.proxy_version = *pv;
  auto legacy = r.boolean("legacyFilterNames");
  if (!legacy) return std::unexpected(legacy.error());
  c.legacy_filter_names = *legacy;
  c.names = FilterNames::make(c.legacy_filter_names);
  auto by_name = r.boolean("hostMatchByVhostName");
  if (!by_name) return std::unexpected(by_name.error());
  c.host_match_by_vhost_name = *by_name;
  auto dup = r.boolean("duplicateBuiltinFilters");
  if (!dup) return std::unexpected(dup.error());
  c.duplicate_builtin_filters = *dup;
  auto pass = r.string("passthroughLabelRegex");
  if (!pass) return std::unexpected(pass.error());
  c.passthrough_label_regex = *pass;
  if (!c.passthrough_label_regex.empty()) {
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<RE2>(c.passthrough_label_regex, opts);
    if (!re->ok())
      return core::fail("not a valid RE2 regular expression: " + re->error(), r.child("passthroughLabelRegex"));
    c.passthrough_label_re = std::move(re);
  }
  for (auto& w : r.unknown_fields()) warnings.push_back(std::move(w));

  // strings.Split semantics: "a,,b" and "a," keep their empty items.
  const std::string& revs = config.global.istio_rev;
  if (!revs.empty()) {
    size_t start = 0;
    for (;;) {
      size_t comma = revs.find(',', start);
      c.istio_revs.push_back(trim(std::string_view(revs).substr(start, comma == std::string::npos ? comma : comma - start)));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  c.strict_rev = config.global.strict_rev;
  return c;
}

}  // namespace slime::plugin

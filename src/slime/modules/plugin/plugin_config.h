#pragma once
// The module's `general` configuration: the original's PluginModule proto plus the switches the
// original took from environment variables (a pure module reads no environment).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/error.h"
#include "slime/core/json.h"

namespace re2 {
class RE2;
}

namespace slime::plugin {

// Well-known Envoy filter names; `legacy` is the original's ENVOY_FILTER_NAME_LEGACY mode.
struct FilterNames {
  std::string router;
  std::string http_connection_manager;
  std::string ratelimit;
  std::string cors;
  std::string fault;
  static FilterNames make(bool legacy);
};

struct PluginConfig {
  // ECDS default_config per filter type URL, used verbatim.
  std::map<std::string, core::Json> config_discovery_default_config;
  // Added as match.proxy.proxyVersion to HTTP-level patches when non-empty.
  std::string proxy_version;
  // `legacyFilterNames: true` replaces ENVOY_FILTER_NAME_LEGACY.
  bool legacy_filter_names = false;
  FilterNames names = FilterNames::make(false);
  // `hostMatchByVhostName: true` keeps the original's EnvoyPlugin host match, the virtual host named
  // HOST:* — which current istiod never applies (it names virtual hosts HOST:PORT and compares names
  // exactly). Default: match by vhost.domainName HOST, every port's virtual host of that host.
  // Only for an Istio whose EnvoyFilter API has no vhost.domainName.
  bool host_match_by_vhost_name = false;
  // `duplicateBuiltinFilters: true` keeps the original's PluginManager form for a plugin named like a
  // filter Istio already puts in every HTTP chain (fault, cors): a second filter of that name inserted
  // before the router. Default: the plugin configures Istio's own filter (a MERGE), so the chain keeps
  // one filter of each name.
  bool duplicate_builtin_filters = false;
  // `passthroughLabelRegex` replaces SLIME_PASS_LBL_REG: resource labels whose key matches are copied
  // to the generated EnvoyFilter. Empty: none.
  std::string passthrough_label_regex;
  std::shared_ptr<const re2::RE2> passthrough_label_re;
  // From global: which istio.io/rev values this instance serves.
  std::vector<std::string> istio_revs;  // empty: every revision
  bool strict_rev = false;

  // True when resources labelled istio.io/rev=`rev` are this instance's to handle (RevInScope).
  bool rev_in_scope(const std::string& rev) const;
  bool passes_label(const std::string& key) const;
};

// Decodes `general` (unknown keys go to `warnings`) and the revision settings of `global`.
core::Result<PluginConfig> parse_plugin_config(const core::ModuleConfig& config, std::vector<core::Error>& warnings);

}  // namespace slime::plugin

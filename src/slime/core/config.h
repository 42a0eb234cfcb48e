#pragma once
// Slime's module configuration, compatible with the original's `slime.config.v1alpha1.Config`: the JSON
// of one SlimeBoot `spec.module[]` entry (framework spec §B.2).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"

namespace slime::core {

struct LogRotateConfig {
  std::string file_path = "/tmp/log/slime.log";
  int64_t max_size_mb = 100;
  int64_t max_backups = 10;
  int64_t max_age_day = 10;
  bool compress = false;
};

struct LogConfig {
  std::string log_level = "info";
  int64_t klog_level = 5;
  bool log_rotate = false;
  LogRotateConfig log_rotate_config;
  bool enable_quote = false;
  std::string ilog_level;
};

struct PrometheusHandler {
  std::string query;
  enum class Type { kValue = 0, kGroup = 1 } type = Type::kValue;
};

struct MetricConfig {
  std::string prometheus_address;
  std::map<std::string, PrometheusHandler> prometheus_handlers;
  std::vector<std::string> k8s_handlers;
  bool has_prometheus = false;
};

struct GlobalConfig {
  std::string service = "app";
  std::string multicluster;
  std::string istio_namespace = "istio-system";
  std::string slime_namespace = "mesh-operator";
  LogConfig log;
  std::map<std::string, std::string> misc;  // defaults filled from kDefaultMisc
  std::string istio_rev;                    // comma-separated revisions this instance manages
  bool strict_rev = false;
  std::vector<std::string> config_sources;  // addresses
  std::string master_url;
  std::string config_rev;
  int32_t client_qps = 0;
  int32_t client_burst = 0;
  std::string self_resource_rev;
  std::string istio_config_source;
  std::string deploy_rev;
  bool enable_convert_se_to_istio_res = false;

  std::string misc_value(const std::string& key) const;
};

struct ModuleConfig {
  std::string name;
  std::string kind;  // falls back to name when empty, as the original does
  bool enable = false;
  std::string mode;  // "Module" or "BundleItem"
  Json general = Json::object();  // module-specific, decoded by the module
  GlobalConfig global;
  MetricConfig metric;
  std::vector<std::pair<std::string, std::string>> bundle;  // {name, kind} of bundle items
  Json raw = Json::object();                                  // the entry as written

  std::string effective_kind() const { return kind.empty() ? name : kind; }
};

struct SlimeConfig {
  // The module instances to run, bundles already expanded into their items with merged globals.
  std::vector<ModuleConfig> modules;
  std::vector<Error> warnings;  // unknown keys and similar: reported, never fatal
  bool from_file = false;       // false: no --config given, every module runs with defaults
};

// The misc defaults of §B.2.2.
const std::map<std::string, std::string>& default_misc();

// Accepts one module object, `{module: [...]}`, or a whole SlimeBoot. `file` labels errors.
Result<SlimeConfig> parse_slime_config(const Json& doc, const std::string& file = {});

// Decodes one module entry (no bundle expansion). Warnings for unknown keys go to `warnings`.
Result<ModuleConfig> parse_module_config(const Json& entry, const std::string& path, std::vector<Error>& warnings);

}  // namespace slime::core

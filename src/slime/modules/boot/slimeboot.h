#pragma once
// The SlimeBoot resource (config.netease.com/v1alpha1, framework spec §C.2): every field of the
// original's SlimeBootSpec, decoded protojson-style (lowerCamel or snake_case keys), with the chart's
// defaults, and validated so that a bad field is reported with its path instead of rendering a broken
// Deployment.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/config.h"
#include "slime/core/error.h"
#include "slime/core/json.h"

namespace slime::boot {

struct ImageSpec {
  std::string repository;  // empty: not given
  std::string tag;
  std::string pull_policy;  // empty: not given

  // "repository:tag", or the repository alone without a tag (the chart's rule).
  std::string reference() const { return tag.empty() ? repository : repository + ":" + tag; }
};

struct ServiceSpec {
  std::string type = "ClusterIP";
  int64_t port = 80;
  int64_t auxiliary_port = 8081;
  int64_t log_source_port = 8082;
  int64_t mcp_over_xds_port = 16010;
};

// `spec.component.globalSidecar`: kept mostly as written, because it is handed on to the lazyload module
// (see global_sidecar.h) which owns the defaults.
struct GlobalSidecarSpec {
  bool present = false;
  bool enable = false;
  core::Json raw = core::Json::object();  // the mapping as written
};

// One `spec.module[]` entry: the framework Config (§B.2.1), decoded for validation and kept verbatim
// because the ConfigMap carries it as written.
struct ModuleEntry {
  core::ModuleConfig config;
  core::Json raw;
  std::string path;  // "spec.module[2]", for messages

  bool is_bundle() const { return !config.bundle.empty() || raw.contains("bundle"); }
  bool is_bundle_item() const { return config.mode == "BundleItem"; }
  // Entries that get their own ConfigMap/Deployment/Service (§C.3).
  bool rendered() const { return config.enable && !is_bundle_item(); }
  bool is_lazyload() const { return config.name == "lazyload" || config.kind == "lazyload"; }
};

struct SlimeBootSpec {
  std::vector<ModuleEntry> modules;
  GlobalSidecarSpec global_sidecar;
  std::string namespace_ = "mesh-operator";
  std::string istio_namespace = "istio-system";
  bool istio_namespace_given = false;
  ImageSpec image;
  int64_t replica_count = 1;
  ServiceSpec service;
  core::Json resources;  // null: the chart's defaults
  core::Json image_pull_secrets;
  core::Json node_selector;
  core::Json pod_security_context;
  core::Json container_security_context;
  core::Json tolerations;
  core::Json affinity;
  core::Json volumes;
  core::Json volume_mounts;
  core::Json pod_annotations;
  bool service_account_create = true;
  std::vector<std::string> args;
  core::Json env;  // list of EnvVar, null when absent
};

struct ParsedSlimeBoot {
  SlimeBootSpec spec;
  std::vector<core::Error> warnings;  // unknown keys: reported, never fatal
};

// Decodes and validates `spec` (the SlimeBoot's .spec). The first invalid field fails the whole
// SlimeBoot: rendering half a deployment is worse than rendering none.
core::Result<ParsedSlimeBoot> parse_slimeboot_spec(const core::Json& spec);

// RFC 1123 label (lower-case alphanumerics and '-', starting and ending alphanumeric, at most `max`).
bool is_dns_label(const std::string& s, size_t max = 63);

}  // namespace slime::boot

#pragma once
// SlimeBoot -> the objects that deploy Slime (framework spec §C.3, §C.5): per rendered module entry a
// ConfigMap (`cfg`, and `cfg_<item>` for bundles), a Deployment running our `slime run`, a Service, a
// ServiceAccount, a ClusterRoleBinding, and for lazyload with leader election the `<name>-leader` Service.
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/core/object.h"
#include "slime/modules/boot/slimeboot.h"

namespace slime::boot {

// Module-level settings (the boot module's `general`).
struct BootOptions {
  // The image that runs `slime`, used when a SlimeBoot names none or names one of the original's Go
  // images (whose /manager entry point our command line cannot drive).
  ImageSpec image{"slime", "latest", "IfNotPresent"};
  // The path of the binary inside the image (see the Dockerfile).
  std::string binary = "/usr/local/bin/slime";
  // The prefix of the per-kind ClusterRoles module ServiceAccounts are bound to: "<prefix>-<kind>"
  // (installed by deploy/, generated from the module contract by `slime boot rbac`).
  std::string cluster_role = "slime";
  // Also render the global sidecar's objects (what the deployed lazyload module will render from the
  // configuration boot hands it), for previews. Off in operator mode: the lazyload process owns them.
  bool render_global_sidecar = false;
};

struct RenderedSlimeBoot {
  std::vector<core::Object> objects;
  std::vector<std::string> notes;      // e.g. "image X replaced": reported in the status, not errors
  std::vector<core::Error> problems;   // invalid module configuration (field paths under spec.module[i])
};

// The `cfg` / `cfg_<name>` content of one entry: its JSON as written plus what the lazyload module needs
// from the rest of the SlimeBoot (global sidecar component, namespaces), see global_sidecar.h.
core::Json entry_config(const SlimeBootSpec& spec, const ModuleEntry& entry);

// `owner` ("<namespace>/<name>" of the SlimeBoot) goes into the slime.io/slimeboot annotation of every
// object boot owns; empty: no annotation.
RenderedSlimeBoot render_slimeboot(const SlimeBootSpec& spec, const BootOptions& options, const std::string& owner);

// True for the original's per-module Go images (docker.io/slimeio/slime-lazyload and friends).
bool is_original_go_image(const std::string& repository);

}  // namespace slime::boot

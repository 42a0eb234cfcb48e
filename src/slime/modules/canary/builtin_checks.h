#pragma once
// The built-in analysis checks, over Istio's standard metrics as the destination's sidecar reports them.
// `destination_version` is the pods' `version` label, which is why a subset's `{{.version}}` is that label.
#include <string>
#include <string_view>

namespace slime::canary {

struct BuiltinCheck {
  std::string_view name;
  std::string_view query;      // template over {{.namespace}}, {{.service}}, {{.version}}, {{.interval}}
  std::string_view condition;  // the default pass condition
};

// nullptr for an unknown name.
const BuiltinCheck* find_builtin(std::string_view name);
// "request-success-rate, request-duration"
std::string builtin_names();

}  // namespace slime::canary

#pragma once
// Image pull Secrets for remote Wasm/Rider code: the docker config JSON of a
// kubernetes.io/dockerconfigjson Secret, and which Secrets a PluginManager refers to.
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"
#include "slime/core/snapshot.h"

namespace slime::plugin {

core::Result<std::string> docker_config_json(const core::Snapshot& objects, const std::string& ns,
                                             const std::string& name);

// Secret names a PluginManager spec refers to through wasm or rider imagePullSecretName (both spellings).
// Reads the raw spec so that it also works for resources that fail validation elsewhere.
std::vector<std::string> referenced_secrets(const core::Json& spec);

}  // namespace slime::plugin

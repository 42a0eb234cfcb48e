#include "slime/modules/plugin/secrets.h"

#include "slime/modules/plugin/json_util.h"
#include "slime/modules/plugin/resources.h"

namespace slime::plugin {
namespace {
constexpr const char* kDockerConfigJsonType = "kubernetes.io/dockerconfigjson";
constexpr const char* kDockerConfigJsonKey = ".dockerconfigjson";

const core::Json* member(const core::Json& obj, const char* camel, const char* snake) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(camel);
  if (it == obj.end()) it = obj.find(snake);
  return it == obj.end() ? nullptr : &*it;
}
}  // namespace

core::Result<std::string> docker_config_json(const core::Snapshot& objects, const std::string& ns,
                                             const std::string& name) {
  const core::Object* secret = objects.get({kSecret, ns, name});
  std::string ref = "Secret " + ns + "/" + name;
  if (!secret) return core::fail(ref + " not found");
  const core::Json& doc = secret->json();
  std::string type = doc.contains("type") && doc["type"].is_string() ? doc["type"].get<std::string>() : "";
  if (type != kDockerConfigJsonType)
    return core::fail(ref + " has type \"" + type + "\", expected " + kDockerConfigJsonType);
  if (const core::Json* data = member(doc, "data", "data")) {
    if (const core::Json* v = member(*data, kDockerConfigJsonKey, kDockerConfigJsonKey); v && v->is_string()) {
      auto decoded = base64_decode(v->get_ref<const std::string&>());
      if (!decoded) return core::fail(ref + ": data." + kDockerConfigJsonKey + " is not valid base64");
      return *decoded;
    }
  }
  // stringData only exists in manifests (the API server folds it into data); accept it for files.
  if (const core::Json* data = member(doc, "stringData", "string_data")) {
    if (const core::Json* v = member(*data, kDockerConfigJsonKey, kDockerConfigJsonKey); v && v->is_string())
      return v->get<std::string>();
  }
  return core::fail(ref + " has no " + kDockerConfigJsonKey + " key");
}

std::vector<std::string> referenced_secrets(const core::Json& spec) {
  std::vector<std::string> out;
  const core::Json* plugins = member(spec, "plugin", "plugin");
  if (!plugins || !plugins->is_array()) return out;
  for (const auto& p : *plugins) {
    for (const char* kind : {"wasm", "rider"}) {
      const core::Json* code = member(p, kind, kind);
      if (!code) continue;
      const core::Json* name = member(*code, "imagePullSecretName", "image_pull_secret_name");
      if (name && name->is_string() && !name->get_ref<const std::string&>().empty())
        out.push_back(name->get<std::string>());
    }
  }
  return out;
}

}  // namespace slime::plugin

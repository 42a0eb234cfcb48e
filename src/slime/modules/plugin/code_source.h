#pragma once
// Where Wasm/Rider code comes from (an Envoy AsyncDataSource in proto-JSON form), and the string a
// Wasm filter receives as its `configuration`.
#include <optional>
#include <string>

#include "slime/core/error.h"
#include "slime/core/json.h"

namespace slime::plugin {

using core::Json;

struct DataSource {
  Json json;            // {local: {filename}} or {remote: {httpUri: {...}, sha256}}
  bool remote = false;  // only remote code needs an image pull secret
};

// No scheme -> oci://<url>; file:// -> local file; anything else -> remote, fetched by the istio agent
// (cluster "_"), sha256 "nil" when not given. Errors name nothing; the caller adds the field path.
core::Result<DataSource> make_data_source(const std::string& url, const std::string& sha256);

// The Wasm `configuration` string: "{}" without settings, the raw string for a lone `_string` key,
// else the compact JSON of the settings.
std::string wasm_configuration_string(const std::optional<Json>& settings);

}  // namespace slime::plugin

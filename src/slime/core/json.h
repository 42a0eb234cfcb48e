#pragma once
// The JSON document type every Kubernetes object is stored as. std::map-backed, so keys are sorted and
// every output is deterministic.
#include <nlohmann/json.hpp>

namespace slime::core {
using Json = nlohmann::json;
}  // namespace slime::core

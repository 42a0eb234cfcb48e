#pragma once
// The configuration of envoyproxy/ratelimit (RLS) for global descriptors: `config.yaml` in the module's
// rlsConfigMap. The ConfigMap is one object rendered from all limiters at once, so removing a limiter
// removes exactly its entries; entries that Slime did not generate are kept as they are.
#include <optional>
#include <string>
#include <vector>

#include "slime/core/json.h"
#include "slime/modules/limiter/evaluate.h"

namespace slime::limiter {

// The top-level RLS descriptors of one limiter's global descriptors, every set.
std::vector<core::Json> rls_descriptors(const Evaluation& ev);

// "Service[reviews.default]-Id[1]" -> {"default", "reviews"}; nullopt for values Slime does not generate.
std::optional<std::pair<std::string, std::string>> generated_owner(std::string_view value);

// The config.yaml text: `domain`, then `descriptors` sorted by value, each with key, value, rate_limit,
// descriptors first (the original's layout), then any other field a foreign entry had.
std::string rls_config_yaml(const std::string& domain, std::vector<core::Json> descriptors);

}  // namespace slime::limiter

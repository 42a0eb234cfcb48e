#include "slime/modules/plugin/type_urls.h"

#include <array>

namespace slime::plugin {
namespace {

struct KnownFilter {
  const char* name;       // envoy.filters.http.<ext>
  const char* ext;        // envoy.extensions.filters.http.<ext>.v3
  const char* config;     // message of the filter's config
  const char* per_route;  // message of its per-route config
};

// Envoy's HTTP filters a plugin commonly configures; the types are Envoy's v3 API.
constexpr std::array<KnownFilter, 9> kKnown{{
    {"envoy.filters.http.buffer", "buffer", "Buffer", "BufferPerRoute"},
    {"envoy.filters.http.cors", "cors", "Cors", "CorsPolicy"},
    {"envoy.filters.http.fault", "fault", "HTTPFault", "HTTPFault"},
    {"envoy.filters.http.header_mutation", "header_mutation", "HeaderMutation", "HeaderMutationPerRoute"},
    {"envoy.filters.http.local_ratelimit", "local_ratelimit", "LocalRateLimit", "LocalRateLimit"},
    {"envoy.filters.http.lua", "lua", "Lua", "LuaPerRoute"},
    {"envoy.filters.http.ratelimit", "ratelimit", "RateLimit", "RateLimitPerRoute"},
    {"envoy.filters.http.rbac", "rbac", "RBAC", "RBACPerRoute"},
    {"envoy.filters.http.compressor", "compressor", "Compressor", "CompressorPerRoute"},
}};

}  // namespace

std::string well_known_type_url(const std::string& filter_name, bool per_route) {
  for (const auto& k : kKnown)
    if (filter_name == k.name)
      return std::string("type.googleapis.com/envoy.extensions.filters.http.") + k.ext + ".v3." +
             (per_route ? k.per_route : k.config);
  return {};
}

core::Result<std::string> settings_type_url(const Plugin& p, bool per_route) {
  if (!p.type_url.empty()) return p.type_url;
  std::string known = well_known_type_url(p.name, per_route);
  if (!known.empty()) return known;
  core::Error e;
  e.field = p.path + ".typeUrl";
  e.message = std::string("required for the inline settings of ") + p.name +
              " (the type of its " + (per_route ? "per-route " : "") +
              "config, e.g. type.googleapis.com/envoy.extensions.filters.http.<name>.v3.<Message>): Envoy rejects "
              "settings of no type";
  return std::unexpected(std::move(e));
}

}  // namespace slime::plugin

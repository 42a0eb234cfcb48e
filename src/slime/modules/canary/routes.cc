#include "slime/modules/canary/routes.h"

#include "slime/core/kinds.h"

namespace slime::canary {
namespace {

constexpr const char* kIstioApiVersion = "networking.istio.io/v1beta1";

bool names_host(const core::Json& h, std::string_view service, std::string_view ns) {
  if (!h.is_string()) return false;
  const auto& s = h.get_ref<const std::string&>();
  std::string svc(service), in_ns = svc + "." + std::string(ns);
  return s == service_fqdn(service, ns) || s == in_ns || s == in_ns + ".svc";
}

// Short names resolve in the rule's own namespace.
bool names_host_from(const core::Json& h, const core::Object& rule, std::string_view service, std::string_view ns) {
  if (names_host(h, service, ns)) return true;
  return rule.ns() == ns && h.is_string() && h.get<std::string>() == service;
}

}  // namespace

bool owned_by_release(const core::Object& o, std::string_view name) {
  const core::Json& owners = o.owner_references();
  if (!owners.is_array()) return false;
  for (const auto& r : owners)
    if (r.is_object() && r.value("kind", "") == kKind && r.value("name", "") == name) return true;
  return false;
}

std::vector<core::Object> render_routes(const core::Object& owner, std::string_view service,
                                        const std::vector<Subset>& subsets, const Weights& weights) {
  std::string host = service_fqdn(service, owner.ns());
  std::string name = routes_name(owner.name());

  core::Object dr(kIstioApiVersion, "DestinationRule", owner.ns(), name);
  dr.add_owner(owner);
  core::Json subset_list = core::Json::array();
  for (const auto& s : subsets) subset_list.push_back({{"name", s.name}, {"labels", s.labels}});
  dr.json()["spec"] = {{"host", host}, {"subsets", std::move(subset_list)}};

  core::Object vs(kIstioApiVersion, "VirtualService", owner.ns(), name);
  vs.add_owner(owner);
  core::Json route = core::Json::array();
  for (const auto& [subset, weight] : weights)
    route.push_back({{"destination", {{"host", host}, {"subset", subset}}}, {"weight", weight}});
  core::Json http = core::Json::array({core::Json{{"name", "canary"}, {"route", std::move(route)}}});
  vs.json()["spec"] = {{"hosts", core::Json::array({host})}, {"http", std::move(http)}};
  return {std::move(dr), std::move(vs)};
}

std::optional<std::string> find_conflict(const core::Snapshot& snap, const core::Object& owner, std::string_view service) {
  std::string ours = routes_name(owner.name());
  auto mine = [&](const core::Object* o) { return o->ns() == owner.ns() && o->name() == ours && owned_by_release(*o, owner.name()); };
  for (const core::Object* vs : snap.list(core::kVirtualServiceGk)) {
    if (mine(vs)) continue;
    const core::Json& spec = vs->spec();
    if (!spec.is_object() || !spec.contains("hosts") || !spec["hosts"].is_array()) continue;
    for (const auto& h : spec["hosts"])
      if (names_host_from(h, *vs, service, owner.ns())) return vs->ref();
  }
  for (const core::Object* dr : snap.list(core::kDestinationRuleGk)) {
    if (mine(dr)) continue;
    const core::Json& spec = dr->spec();
    if (spec.is_object() && spec.contains("host") && names_host_from(spec["host"], *dr, service, owner.ns()))
      return dr->ref();
  }
  return std::nullopt;
}

std::optional<std::map<std::string, int>> live_weights(const core::Snapshot& snap, const core::Object& owner) {
  const core::Object* vs = snap.get({core::kVirtualServiceGk, owner.ns(), routes_name(owner.name())});
  if (!vs || !owned_by_release(*vs, owner.name())) return std::nullopt;
  const core::Json& spec = vs->spec();
  if (!spec.is_object() || !spec.contains("http") || !spec["http"].is_array() || spec["http"].empty()) return std::nullopt;
  const core::Json& first = spec["http"][0];
  if (!first.is_object() || !first.contains("route") || !first["route"].is_array()) return std::nullopt;
  std::map<std::string, int> out;
  for (const auto& r : first["route"]) {
    if (!r.is_object() || !r.contains("destination") || !r["destination"].is_object()) continue;
    std::string subset = r["destination"].value("subset", "");
    int weight = r.contains("weight") && r["weight"].is_number_integer() ? r["weight"].get<int>() : 0;
    out[subset] = weight;
  }
  return out;
}

}  // namespace slime::canary

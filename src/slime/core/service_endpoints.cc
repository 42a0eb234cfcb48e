#include "slime/core/service_endpoints.h"

#include <map>
#include <utility>

#include "slime/core/kinds.h"

namespace slime::core {
namespace {

const Json* member(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string str(const Json* j) { return j && j->is_string() ? j->get<std::string>() : std::string(); }

void set_pod(EndpointAddress& a, const Json* target_ref, const std::string& default_ns) {
  if (!target_ref || str(member(*target_ref, "kind")) != "Pod") return;
  a.pod_name = str(member(*target_ref, "name"));
  a.pod_ns = str(member(*target_ref, "namespace"));
  if (a.pod_ns.empty()) a.pod_ns = default_ns;
}

// Endpoints: subsets[].addresses (ready) and subsets[].notReadyAddresses.
void from_endpoints(const Object& ep, std::vector<EndpointAddress>& ready, std::vector<EndpointAddress>& not_ready) {
  const Json* subsets = member(ep.json(), "subsets");
  if (!subsets || !subsets->is_array()) return;
  std::string ns = ep.ns();
  for (const auto& s : *subsets) {
    const Json* ports = member(s, "ports");
    for (auto [key, out] : {std::pair{"addresses", &ready}, std::pair{"notReadyAddresses", &not_ready}}) {
      const Json* list = member(s, key);
      if (!list || !list->is_array()) continue;
      for (const auto& a : *list) {
        EndpointAddress addr;
        addr.ip = str(member(a, "ip"));
        if (addr.ip.empty()) continue;
        addr.ready = out == &ready;
        addr.ports = ports;
        set_pod(addr, member(a, "targetRef"), ns);
        out->push_back(std::move(addr));
      }
    }
  }
}

// EndpointSlice: endpoints[].addresses, ready unless conditions.ready is false (nil means ready, as the
// API documents). FQDN slices name hosts, not addresses, and are skipped.
void from_slice(const Json& doc, const std::string& ns, const Json* ports, std::vector<EndpointAddress>& ready,
                std::vector<EndpointAddress>& not_ready) {
  if (str(member(doc, "addressType")) == "FQDN") return;
  const Json* endpoints = member(doc, "endpoints");
  if (!endpoints || !endpoints->is_array()) return;
  for (const auto& e : *endpoints) {
    const Json* addresses = member(e, "addresses");
    if (!addresses || !addresses->is_array()) continue;
    const Json* r = member(e, "conditions") ? member(*member(e, "conditions"), "ready") : nullptr;
    bool is_ready = !(r && r->is_boolean() && !r->get<bool>());
    for (const auto& a : *addresses) {
      EndpointAddress addr;
      addr.ip = str(&a);
      if (addr.ip.empty()) continue;
      addr.ready = is_ready;
      addr.ports = ports;
      set_pod(addr, member(e, "targetRef"), ns);
      (is_ready ? ready : not_ready).push_back(std::move(addr));
    }
  }
}

void from_slice(const Object& slice, std::vector<EndpointAddress>& ready, std::vector<EndpointAddress>& not_ready) {
  if (!slice.packed()) {
    from_slice(slice.json(), slice.ns(), member(slice.json(), "ports"), ready, not_ready);
    return;
  }
  // A packed slice is one a cache cut down to what endpoint_read_fields() keeps, which has no ports. Read it
  // from a tree of its own, freed right after: a scan of every slice would otherwise hold them all as trees
  // until the store read ends.
  Object whole = slice.unpacked();
  from_slice(whole.json(), slice.ns(), nullptr, ready, not_ready);
}

std::vector<EndpointAddress> joined(std::vector<EndpointAddress> ready, std::vector<EndpointAddress>& not_ready) {
  for (auto& a : not_ready) ready.push_back(std::move(a));
  return ready;
}

}  // namespace

std::vector<KindFields> endpoint_read_fields(bool ready_and_pods) {
  KindFields slices{kEndpointSliceGk, {"metadata.labels", "addressType", "endpoints.addresses"}};
  KindFields endpoints{kEndpointsGk, {"subsets.addresses.ip"}};
  if (ready_and_pods) {
    slices.paths.insert(slices.paths.end(), {"endpoints.conditions.ready", "endpoints.targetRef"});
    endpoints.paths = {"subsets.addresses"};
  } else {
    endpoints.paths.push_back("subsets.notReadyAddresses.ip");
  }
  return {slices, endpoints};
}

std::optional<std::vector<EndpointAddress>> service_endpoints(const Snapshot& snapshot, std::string_view ns,
                                                              std::string_view name) {
  std::vector<EndpointAddress> ready, not_ready;
  bool found = false;
  for (const auto* slice : snapshot.list(kEndpointSliceGk, ns)) {
    if (slice->label(kServiceNameLabel) != name) continue;
    found = true;
    from_slice(*slice, ready, not_ready);
  }
  if (!found) {
    const Object* ep = snapshot.get({kEndpointsGk, std::string(ns), std::string(name)});
    if (!ep) return std::nullopt;
    from_endpoints(*ep, ready, not_ready);
  }
  return joined(std::move(ready), not_ready);
}

void for_each_service_endpoints(
    const Snapshot& snapshot,
    const std::function<void(const std::string& ns, const std::string& name, const std::vector<EndpointAddress>&)>& fn) {
  using Lists = std::pair<std::vector<EndpointAddress>, std::vector<EndpointAddress>>;  // ready, not ready
  std::map<std::pair<std::string, std::string>, Lists> services;
  for (const auto* slice : snapshot.list(kEndpointSliceGk)) {
    std::string svc = slice->label(kServiceNameLabel);
    if (svc.empty()) continue;
    auto& lists = services[{slice->ns(), svc}];
    from_slice(*slice, lists.first, lists.second);
  }
  std::map<std::pair<std::string, std::string>, Lists> legacy;
  for (const auto* ep : snapshot.list(kEndpointsGk)) {
    std::pair<std::string, std::string> key{ep->ns(), ep->name()};
    if (services.contains(key)) continue;  // its slices say it already
    auto& lists = legacy[key];
    from_endpoints(*ep, lists.first, lists.second);
  }
  services.merge(legacy);
  for (auto& [key, lists] : services) fn(key.first, key.second, joined(std::move(lists.first), lists.second));
}

}  // namespace slime::core

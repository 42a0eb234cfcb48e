#include "slime/proxy/routing/mesh_index.h"

#include <algorithm>

#include "slime/core/kinds.h"
#include "slime/core/service_endpoints.h"

namespace slime::proxy {
namespace {

using core::kServiceGk;

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

uint16_t port_of(const core::Json& p) {
  auto it = p.find("port");
  if (it == p.end() || !it->is_number_integer()) return 0;
  auto v = it->get<int64_t>();
  return v > 0 && v < 65536 ? static_cast<uint16_t>(v) : 0;
}

std::string str_of(const core::Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The named ports of an Endpoints subset or an EndpointSlice.
std::map<std::string, uint16_t> named_ports(const core::Json* list) {
  std::map<std::string, uint16_t> ports;
  if (list && list->is_array())
    for (const auto& port : *list)
      if (port.is_object() && port_of(port)) ports[str_of(port, "name")] = port_of(port);
  return ports;
}

}  // namespace

MeshIndex MeshIndex::build(const core::Snapshot& snapshot) {
  MeshIndex index;
  for (const auto* svc : snapshot.list(kServiceGk)) {
    ServiceEntry e;
    e.ns = svc->ns();
    e.name = lower(svc->name());
    const auto& spec = svc->spec();
    if (spec.is_object()) {
      auto ip = str_of(spec, "clusterIP");
      if (ip != "None") e.cluster_ip = ip;
      if (auto it = spec.find("ports"); it != spec.end() && it->is_array())
        for (const auto& p : *it)
          if (p.is_object() && port_of(p)) e.ports.push_back({str_of(p, "name"), port_of(p)});
    }
    if (!e.cluster_ip.empty()) index.ips_.insert(e.cluster_ip);
    index.services_.emplace(e.ns + "/" + e.name, std::move(e));
  }
  // EndpointSlices where the Service has any, else its Endpoints; ready addresses first.
  core::for_each_service_endpoints(snapshot, [&](const std::string& ns, const std::string& name,
                                                 const std::vector<core::EndpointAddress>& addresses) {
    auto it = index.services_.find(ns + "/" + lower(name));
    if (it == index.services_.end()) return;  // endpoints without a Service are not a destination
    for (const auto& a : addresses) {
      index.ips_.insert(a.ip);
      it->second.endpoints.push_back({a.ip, named_ports(a.ports)});
    }
  });
  return index;
}

const ServiceEntry* MeshIndex::find(std::string_view ns, std::string_view name) const {
  std::string key;
  key.reserve(ns.size() + name.size() + 1);
  key.append(ns).append("/").append(lower(name));
  auto it = services_.find(key);
  return it == services_.end() ? nullptr : &it->second;
}

const ServiceEntry* MeshIndex::find_host(std::string_view host) const {
  std::string h = lower(host);
  if (!h.empty() && h.back() == '.') h.pop_back();
  for (std::string_view suffix : {".svc.cluster.local", ".svc"}) {
    if (h.size() > suffix.size() && h.ends_with(suffix)) {
      h.resize(h.size() - suffix.size());
      break;
    }
  }
  auto dot = h.find('.');
  if (dot == std::string::npos || h.find('.', dot + 1) != std::string::npos) return nullptr;
  return find(std::string_view(h).substr(dot + 1), std::string_view(h).substr(0, dot));
}

bool MeshIndex::known_ip(std::string_view ip) const { return ips_.contains(ip); }

}  // namespace slime::proxy

#include "slime/proxy/routing/mesh_index.h"

#include <algorithm>

#include "slime/core/kinds.h"

namespace slime::proxy {
namespace {

using core::kEndpointsGk;
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

void add_addresses(const core::Json& subset, const char* key, const std::map<std::string, uint16_t>& ports,
                   std::vector<ServiceEntry::Endpoint>& out) {
  auto it = subset.find(key);
  if (it == subset.end() || !it->is_array()) return;
  for (const auto& a : *it) {
    if (!a.is_object()) continue;
    auto ip = str_of(a, "ip");
    if (!ip.empty()) out.push_back({ip, ports});
  }
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
  for (const auto* ep : snapshot.list(kEndpointsGk)) {
    auto it = index.services_.find(ep->ns() + "/" + lower(ep->name()));
    if (it == index.services_.end()) continue;  // Endpoints without a Service are not a destination
    auto subsets = ep->json().find("subsets");
    if (subsets == ep->json().end() || !subsets->is_array()) continue;
    std::vector<ServiceEntry::Endpoint> ready, not_ready;
    for (const auto& s : *subsets) {
      if (!s.is_object()) continue;
      std::map<std::string, uint16_t> ports;
      if (auto p = s.find("ports"); p != s.end() && p->is_array())
        for (const auto& port : *p)
          if (port.is_object() && port_of(port)) ports[str_of(port, "name")] = port_of(port);
      add_addresses(s, "addresses", ports, ready);
      add_addresses(s, "notReadyAddresses", ports, not_ready);
    }
    auto& eps = it->second.endpoints;
    for (auto* list : {&ready, &not_ready})
      for (auto& e : *list) {
        index.ips_.insert(e.ip);
        eps.push_back(std::move(e));
      }
  }
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

#include "slime/modules/lazyload/mesh_view.h"

#include "slime/core/selector.h"
#include "slime/modules/lazyload/names.h"
#include "slime/modules/lazyload/revision.h"

namespace slime::lazyload {

std::string qualify_host(std::string_view host, std::string_view ns) {
  if (host.find('.') != std::string_view::npos || host.find('*') != std::string_view::npos || ns.empty())
    return std::string(host);
  return std::string(host) + "." + std::string(ns) + ".svc.cluster.local";
}

std::vector<std::string> MeshView::services_in(std::string_view ns) const {
  std::vector<std::string> out;
  for (const auto* svc : snapshot_.list(kServiceGk, ns)) out.push_back(svc->name());
  return out;
}

std::vector<std::pair<std::string, std::string>> MeshView::services_matching(
    const std::map<std::string, std::string>& selector) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (selector.empty()) return out;
  for (const auto* svc : snapshot_.list(kServiceGk)) {
    if (core::labels_contain(svc->labels(), selector)) out.emplace_back(svc->ns(), svc->name());
  }
  return out;
}

const std::set<std::string>* MeshView::vs_backends(const std::string& host) const {
  if (!vs_map_) build_vs_map();
  auto it = vs_map_->find(host);
  return it == vs_map_->end() || it->second.empty() ? nullptr : &it->second;
}

void MeshView::build_vs_map() const {
  vs_map_.emplace();
  // Ordered by namespace/name: a later VirtualService replaces an earlier one's mapping for the same host,
  // as the original's HostDestinationMapping does.
  for (const auto* vs : snapshot_.list(kVirtualServiceGk)) {
    if (!rev_in_scope(config_.global, vs->label(kRevLabel))) continue;
    const core::Json& spec = vs->spec();
    if (!spec.is_object()) continue;
    auto hosts = spec.find("hosts");
    if (hosts == spec.end() || !hosts->is_array()) continue;
    std::set<std::string> dests;
    if (auto http = spec.find("http"); http != spec.end() && http->is_array()) {
      for (const auto& h : *http) {
        if (!h.is_object()) continue;
        auto route = h.find("route");
        if (route == h.end() || !route->is_array()) continue;
        for (const auto& r : *route) {
          if (!r.is_object()) continue;
          auto d = r.find("destination");
          if (d == r.end() || !d->is_object()) continue;
          auto dh = d->find("host");
          if (dh != d->end() && dh->is_string() && !dh->get_ref<const std::string&>().empty())
            dests.insert(qualify_host(dh->get<std::string>(), vs->ns()));
        }
      }
    }
    for (const auto& h : *hosts) {
      if (!h.is_string()) continue;
      std::string host = qualify_host(h.get<std::string>(), vs->ns());
      std::set<std::string> mine = dests;  // a copy per host: the original's shared-slice mutation is not repeated
      mine.erase(host);
      (*vs_map_)[host] = std::move(mine);
    }
  }
}

}  // namespace slime::lazyload

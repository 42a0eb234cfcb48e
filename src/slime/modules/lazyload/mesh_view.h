#pragma once
// Read-only lookups over a snapshot that domain computation needs: the Services of a namespace, Services by
// metadata labels, and the VirtualService host -> destination mapping (spec §5.2, §5.4.6). Built lazily and
// per view, so a reconcile only pays for what its fence uses.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "slime/core/snapshot.h"
#include "slime/modules/lazyload/config.h"

namespace slime::lazyload {

class MeshView {
 public:
  MeshView(const core::Snapshot& snapshot, const FenceConfig& config) : snapshot_(snapshot), config_(config) {}

  const core::Snapshot& snapshot() const { return snapshot_; }

  // Names of the Services in `ns`, ordered.
  std::vector<std::string> services_in(std::string_view ns) const;
  // (namespace, name) of every Service whose metadata.labels contain all of `selector`; empty selector -> none.
  std::vector<std::pair<std::string, std::string>> services_matching(const std::map<std::string, std::string>& selector) const;
  // Destination hosts a VirtualService routes `host` to (other than `host` itself); null when none.
  const std::set<std::string>* vs_backends(const std::string& host) const;

 private:
  void build_vs_map() const;

  const core::Snapshot& snapshot_;
  const FenceConfig& config_;
  mutable std::optional<std::map<std::string, std::set<std::string>>> vs_map_;
};

// Istio's short-name rule: a host without a dot is relative to the namespace of the resource naming it.
std::string qualify_host(std::string_view host, std::string_view ns);

}  // namespace slime::lazyload

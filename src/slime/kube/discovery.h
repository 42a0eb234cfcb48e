#pragma once
// GVK -> REST resource (plural name, namespaced or not), learned from the server's discovery
// documents one group-version at a time and cached. A miss re-reads the group-version once, so CRDs
// installed after start are found.
#include <map>
#include <mutex>
#include <string>

#include "slime/core/gvk.h"
#include "slime/kube/api_error.h"
#include "slime/kube/http_transport.h"

namespace slime::kube {

struct ResourceInfo {
  std::string plural;
  bool namespaced = true;
};

class Discovery {
 public:
  explicit Discovery(HttpTransport& http) : http_(http) {}
  ApiResult<ResourceInfo> resolve(const core::Gvk& gvk);
  // The version the server prefers for a group/kind (modules name kinds, not versions). 404 when the
  // group or the kind is not served (yet: CRDs can be installed later).
  ApiResult<core::Gvk> preferred(const core::GroupKind& gk);
  // Pre-seeds an entry (tests, or callers that know the mapping), avoiding a discovery round-trip.
  void add(const core::Gvk& gvk, ResourceInfo info);

 private:
  ApiResult<void> load(const std::string& group_version);

  HttpTransport& http_;
  std::mutex mu_;
  std::map<std::string, std::map<std::string, ResourceInfo>> by_gv_;  // gv -> kind -> info
};

// "/api/v1" or "/apis/<group>/<version>"
std::string group_version_path(const core::Gvk& gvk);

}  // namespace slime::kube

#pragma once
// Wormhole-port listeners from the global-sidecar ConfigMap (spec §6.2, §6.6 step 3). Lazyload renders
// ConfigMap `global-sidecar` (label lazyload.slime.io/config=global-sidecar) in the global sidecar's
// namespace with `data.cfg` = YAML `wormholePorts: [9080, ...]`; the proxy opens a listener for every
// listed port and, with cleanup on, closes the ones that disappear. The ConfigMap is read from a
// store::SharedStore fed by a watch (the Kubernetes API or the manifest directory's inotify watch).
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/gvk.h"
#include "slime/core/object.h"
#include "slime/store/shared_store.h"

namespace slime::proxy {

class ProxyServer;

// The ports of `data.cfg` (sorted, without duplicates). An absent `data.cfg` or `wormholePorts` is an
// empty list; a value that is not YAML, or a port that is not an integer in 1..65535, is an error naming
// the field.
core::Result<std::vector<uint16_t>> parse_wormhole_ports(const core::Object& config_map);

// "ns/name" or "name" (then `default_ns`). Empty: an error.
core::Result<core::ObjectKey> parse_config_map_ref(const std::string& ref, const std::string& default_ns);

class WormholeListeners {
 public:
  // Subscribes to `store` (before the store's feeder starts, as SharedStore requires). Changes are
  // applied to `server` only after activate(), so ports cannot clash with listeners start() opens.
  WormholeListeners(store::SharedStore& store, core::ObjectKey config_map, ProxyServer& server, bool cleanup);

  // Applies the ConfigMap as it is now (absent: no wormhole ports), then every change as it comes.
  void activate();

  // The ports last applied (for logs and tests).
  std::vector<uint16_t> applied() const;

 private:
  void apply(const store::SharedStore::ObjectPtr& config_map);

  store::SharedStore& store_;
  core::ObjectKey key_;
  ProxyServer& server_;
  bool cleanup_;
  mutable std::mutex mu_;  // serializes applies from the feeder thread and activate()
  bool active_ = false;
  std::vector<uint16_t> applied_;
};

}  // namespace slime::proxy

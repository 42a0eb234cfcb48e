#pragma once
// The read side of the world as a module sees it: a consistent set of objects, plus metric values.
// Modules only ever see this interface, never a store backend, a client or a socket.
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/gvk.h"
#include "slime/core/json.h"
#include "slime/core/object.h"

namespace slime::core {

class Snapshot {
 public:
  virtual ~Snapshot() = default;
  virtual const Object* get(const ObjectKey& key) const = 0;
  // Objects of one group/kind, in namespace `ns` (all namespaces when empty), ordered by namespace then
  // name. The pointers stay valid for the lifetime of the snapshot.
  virtual std::vector<const Object*> list(const GroupKind& gk, std::string_view ns = {}) const = 0;
};

// A question a module needs answered by a metric source before it can render, e.g. a PromQL query.
struct MetricRequest {
  std::string source;  // "prometheus"
  std::string query;
  auto operator<=>(const MetricRequest&) const = default;
};

// Answers to MetricRequests. Prometheus instant vectors are JSON arrays of {metric:{...}, value: number}.
class MetricValues {
 public:
  virtual ~MetricValues() = default;
  // nullptr when the value is not (yet) known.
  virtual const Json* get(const MetricRequest& request) const = 0;
};

class NoMetrics final : public MetricValues {
 public:
  const Json* get(const MetricRequest&) const override { return nullptr; }
};

// Everything a render sees. `now` is passed in so that time-dependent logic (expiry) stays pure.
struct RenderContext {
  const Snapshot& objects;
  const MetricValues& metrics;
  std::chrono::system_clock::time_point now;
};

}  // namespace slime::core

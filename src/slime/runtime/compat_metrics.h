#pragma once
// The original's per-module metric names (OTel UpDownCounters exposed as gauges, spec lazyload §5.16,
// limiter §2.12, framework-plugin-boot §A.4.1), kept so that dashboards and alerts written for the
// original keep working. They are derived from what the controller does, so each module needs no code:
//   writes of kind K by module M  -> M_k_creations / M_k_refreshes / M_k_deletions (+ failures)
//   reconciles of a user resource -> limiter_reconciles, plugin_<kind>_reconciles (+ _failed)
//   problems reported              -> limiter_validations_failed
#include <string>

#include "slime/runtime/metrics.h"

namespace slime::runtime {

enum class WriteOp { kCreate, kUpdate, kDelete };

class CompatMetrics {
 public:
  CompatMetrics(Metrics& metrics, std::string module_kind);

  // A write of an object of `kind` (e.g. "EnvoyFilter") named ns/name.
  void write(WriteOp op, const std::string& kind, const std::string& ns, const std::string& name, bool ok);
  // One reconcile of `key` ("Kind/ns/name" for a user resource).
  void reconcile(const std::string& key, bool ok);
  void problems(size_t n);

 private:
  Metrics& metrics_;
  std::string module_;
};

}  // namespace slime::runtime

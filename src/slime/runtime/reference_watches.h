#pragma once
// Watches of single objects for kinds modules read only by reference (core::ReferencedKind): the plugin
// module's image pull Secrets. Each object of a `from` kind (a PluginManager) that enters, changes or
// leaves the store updates which objects it names; an object named by anyone is watched alone (by name
// and namespace), one no longer named is unwatched and dropped from the store. The number of watches is
// bounded: past the bound a reference is logged and counted, not watched (its module reports the object
// as not found).
#include <map>
#include <mutex>
#include <set>
#include <vector>

#include "slime/core/module.h"
#include "slime/store/cluster.h"

namespace slime::runtime {

class ReferenceWatches {
 public:
  static constexpr size_t kDefaultMaxWatches = 200;

  ReferenceWatches(store::Cluster& cluster, const std::vector<core::Module*>& modules,
                   size_t max_watches = kDefaultMaxWatches);

  // Kinds the cluster must not watch whole: read by reference by every module that reads them, on a
  // backend that can watch by name. Empty otherwise (nothing changes).
  const std::set<core::GroupKind>& by_reference() const { return by_reference_; }

  // A store change (the SharedStore listener contract: old null = added, now null = deleted).
  void on_change(const store::SharedStore::ObjectPtr& old, const store::SharedStore::ObjectPtr& now);

  size_t watched() const;
  // References past the bound, not watched (a gauge: the current count).
  size_t over_limit() const;

 private:
  // Brings the running watches in line with the wanted set. Serialized by sync_mu_ (two informer threads
  // may report changes at once); holds no lock the watched objects' informers need.
  void sync();

  store::Cluster& cluster_;
  size_t max_watches_;
  std::set<core::GroupKind> by_reference_;
  // (module, referenced kind) pairs whose references are followed, by the kind that names them.
  std::multimap<core::GroupKind, std::pair<const core::Module*, core::GroupKind>> from_;

  mutable std::mutex mu_;
  std::map<core::ObjectKey, std::set<core::ObjectKey>> named_by_;  // referring object -> what it names
  std::map<core::ObjectKey, size_t> wanted_;                        // referenced object -> referrers
  std::set<core::ObjectKey> running_;
  size_t over_limit_ = 0;

  std::mutex sync_mu_;
};

}  // namespace slime::runtime

#pragma once
// A Kubernetes API server as the Cluster: one informer per kind feeding the SharedStore (sharing
// object copies with it), server-side apply as field manager "slime" for writes, the status
// subresource for statuses, and core/v1 Events for problems. Kinds whose CRD is not installed yet
// are retried in the background, so installing Istio after Slime works.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "slime/kube/client.h"
#include "slime/kube/informer.h"
#include "slime/store/cluster.h"

namespace slime::runtime {

class KubeCluster final : public store::Cluster {
 public:
  // ns empty: all namespaces.
  explicit KubeCluster(kube::Client& client, std::string ns = {});
  ~KubeCluster() override;

  // Kinds only read of their metadata are listed and watched as PartialObjectMetadata; every object is
  // projected before it is cached.
  void set_projection(core::Projection projection) override { projection_ = std::move(projection); }
  // Given both Endpoints and EndpointSlices, watches only the slices where the server serves them.
  core::Result<void> start(const std::set<core::GroupKind>& kinds) override;
  bool wait_synced(std::chrono::milliseconds timeout) override;
  void stop() override;
  store::SharedStore& store() override { return store_; }

  core::Result<void> apply(const core::Object& desired) override;
  core::Result<void> remove(const core::Object& existing) override;
  core::Result<void> apply_status(const core::Object& target, const core::Json& status) override;
  void record_problem(const core::Object& regarding, const std::string& reason, const std::string& message) override;
  void record_event(const core::Object& regarding, const std::string& type, const std::string& reason,
                    const std::string& message) override;
  std::string describe() const override { return "kubernetes " + client_.config().server; }
  bool marks_owners() const override { return true; }
  core::Result<std::vector<core::Object>> list_owned(std::string_view module,
                                                     const std::set<core::GroupKind>& kinds) override;
  bool keeps_finalizers() const override { return true; }
  core::Result<void> set_finalizers(const core::Object& target, const std::vector<std::string>& finalizers) override;
  bool covers(const core::ObjectKey& key) const override;
  bool watches_by_name() const override { return true; }
  core::Result<void> watch_named(const core::ObjectKey& key) override;
  void unwatch_named(const core::ObjectKey& key) override;

  uint64_t watch_restarts() const;
  std::vector<core::GroupKind> missing_kinds() const;

 private:
  void start_informer(const core::Gvk& gvk);
  // An informer of `gvk` feeding the store, started (projected as set_projection says).
  std::unique_ptr<kube::Informer> make_informer(const core::Gvk& gvk, kube::ListOptions opts);
  void retry_missing();
  // Puts the server's answer to a write into the store (see apply()).
  void put_written(core::Object live);
  // What the cache keeps of an object: cut down to what modules read, and packed unless a module scans
  // its kind (core/projection.h, Object::pack).
  void to_cached_form(core::Object& o) const;

  kube::Client& client_;
  std::string ns_;
  core::Projection projection_;
  store::SharedStore store_;
  mutable std::mutex mu_;
  std::map<core::GroupKind, std::unique_ptr<kube::Informer>> informers_;
  std::set<core::GroupKind> missing_;
  // watch_named(); shared so that wait_synced() and stop() can use one while unwatch_named() drops it.
  std::map<core::ObjectKey, std::shared_ptr<kube::Informer>> named_;
  // covers() is called while the store is read-locked: it must not wait for mu_, which stop() holds
  // while joining informers that may be waiting for the store's write lock.
  mutable std::mutex served_mu_;
  std::map<core::GroupKind, const kube::Informer*> served_;
  std::atomic<bool> stop_{false};
  std::thread retry_thread_;
};

}  // namespace slime::runtime

#include "slime/runtime/ui_routes.h"

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "slime/core/unpack_scope.h"
#include "slime/graph/graph_view.h"
#include "slime/graph/modules_summary.h"
#include "slime/store/memory_store.h"

namespace slime::runtime {
namespace {

const std::vector<std::string> kRead = {"GET", "HEAD"};

// The page, generated from ui/page.html at configure time (a raw string literal).
constexpr const char kPage[] =
#include "ui_page.inc"
    ;

// The namespace filter is only compared with names, never echoed back; its length is bounded like a
// Kubernetes name's (a manifest directory holds whatever names its files spell).
bool valid_namespace(const std::string& ns) { return ns.size() <= 253; }

std::string query(const AdminRequest& req, const char* key) {
  auto it = req.query.find(key);
  return it == req.query.end() ? std::string() : it->second;
}

// Answers by query, valid while the store's generation (bumped on every change) is the one they were built at.
class AnswerCache {
 public:
  static constexpr auto kMaxAge = std::chrono::seconds(5);
  static constexpr size_t kMaxEntries = 64;  // distinct namespace filters kept; beyond, start over

  void changed() { ++generation_; }

  template <typename Build>
  std::string get(const std::string& key, Build build) {
    const uint64_t gen = generation_.load();  // read before building: the answer is at least this fresh
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(key);
      if (it != entries_.end() && it->second.generation == gen && now - it->second.built < kMaxAge) return it->second.body;
    }
    std::string body = build();
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_[key] = Entry{gen, now, body};
    return body;
  }

 private:
  struct Entry {
    uint64_t generation;
    std::chrono::steady_clock::time_point built;
    std::string body;
  };
  std::atomic<uint64_t> generation_{0};
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

// The objects of `kinds`, sharing the store's copies. Only the pointer copy holds the store's lock (a few
// milliseconds at 50,000 objects): building the graph of a 5,000-Service mesh takes hundreds, and the
// informers must not wait that long to write. Packed objects stay packed: the caller reads them inside an
// UnpackScope of its own, which unpacks only those the answer looks into.
store::MemoryStore copy_of(const store::SharedStore& store, const std::vector<core::GroupKind>& kinds) {
  std::set<core::GroupKind> wanted(kinds.begin(), kinds.end());
  store::MemoryStore out;
  for (auto& o : store.all())
    if (wanted.count(o->gvk().group_kind())) out.put(std::move(o));
  return out;
}

std::string dump(const core::Json& doc) {
  // error_handler::replace: a name with invalid UTF-8 must not throw out of the handler.
  return doc.dump(-1, ' ', false, core::Json::error_handler_t::replace) + "\n";
}

}  // namespace

const char* ui_page() { return kPage; }

void add_ui_routes(AdminServer& server, store::SharedStore& store, graph::GraphOptions options) {
  // Shared with the store's listener: whichever of the two lives longer keeps the caches.
  auto graphs = std::make_shared<AnswerCache>();
  auto modules = std::make_shared<AnswerCache>();
  store.subscribe([graphs, modules](const store::SharedStore::ObjectPtr&, const store::SharedStore::ObjectPtr&) {
    graphs->changed();
    modules->changed();
  });
  server.route(
      "/ui", [](const AdminRequest&) { return AdminResponse{200, kPage, "text/html; charset=utf-8"}; }, kRead);
  server.route(
      "/api/v1/graph",
      [&store, options, graphs](const AdminRequest& req) {
        graph::ViewOptions view;
        view.ns = query(req, "namespace");
        if (!valid_namespace(view.ns)) return AdminResponse{400, "namespace: expected at most 253 characters\n"};
        auto body = graphs->get(view.ns, [&] {
          graph::GraphOptions now = options;
          now.now = std::chrono::system_clock::now();
          auto objects = copy_of(store, graph::graph_kinds());
          core::UnpackScope scope;
          return dump(graph::graph_view(graph::build_graph(objects, now), view));
        });
        return AdminResponse{200, std::move(body), "application/json"};
      },
      kRead);
  server.route(
      "/api/v1/modules",
      [&store, modules](const AdminRequest& req) {
        std::string ns = query(req, "namespace");
        if (!valid_namespace(ns)) return AdminResponse{400, "namespace: expected at most 253 characters\n"};
        auto body = modules->get(ns, [&] {
          auto objects = copy_of(store, graph::modules_kinds());
          core::UnpackScope scope;
          return dump(graph::modules_summary(objects, ns));
        });
        return AdminResponse{200, std::move(body), "application/json"};
      },
      kRead);
}

}  // namespace slime::runtime

#include "slime/runtime/ui_routes.h"

#include <chrono>

#include "slime/graph/graph_view.h"
#include "slime/graph/modules_summary.h"

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

AdminResponse json_response(const core::Json& doc) {
  // error_handler::replace: a name with invalid UTF-8 must not throw out of the handler.
  return AdminResponse{200, doc.dump(-1, ' ', false, core::Json::error_handler_t::replace) + "\n", "application/json"};
}

}  // namespace

const char* ui_page() { return kPage; }

void add_ui_routes(AdminServer& server, const store::SharedStore& store, graph::GraphOptions options) {
  server.route(
      "/ui", [](const AdminRequest&) { return AdminResponse{200, kPage, "text/html; charset=utf-8"}; }, kRead);
  server.route(
      "/api/v1/graph",
      [&store, options](const AdminRequest& req) {
        graph::ViewOptions view;
        view.ns = query(req, "namespace");
        if (!valid_namespace(view.ns)) return AdminResponse{400, "namespace: expected at most 253 characters\n"};
        graph::GraphOptions now = options;
        now.now = std::chrono::system_clock::now();
        auto doc = store.read([&](const core::Snapshot& s) { return graph::graph_view(graph::build_graph(s, now), view); });
        return json_response(doc);
      },
      kRead);
  server.route(
      "/api/v1/modules",
      [&store](const AdminRequest& req) {
        std::string ns = query(req, "namespace");
        if (!valid_namespace(ns)) return AdminResponse{400, "namespace: expected at most 253 characters\n"};
        return json_response(store.read([&](const core::Snapshot& s) { return graph::modules_summary(s, ns); }));
      },
      kRead);
}

}  // namespace slime::runtime

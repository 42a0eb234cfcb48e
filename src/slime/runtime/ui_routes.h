#pragma once
// The read-only web view of `slime run --ui`: /ui (one self-contained page embedded in the binary: HTML, CSS
// and JS, no CDN), and the JSON behind it, /api/v1/graph[?namespace=NS] and /api/v1/modules[?namespace=NS].
// GET and HEAD only; each answer is built from one consistent copy of the controller's cache (pointers
// copied under the store's lock, the graph built outside it) and bounded
// (graph/graph_view.h), so a 5,000-Service mesh answers with its namespaces, not a dump. Answers are kept
// per query until the store changes (at most 5 s, for expiry that depends on the clock): an open page polls
// every second, and a quiet mesh should not pay for building the graph each time.
#include "slime/graph/mesh_graph.h"
#include "slime/runtime/admin_server.h"
#include "slime/store/shared_store.h"

namespace slime::runtime {

// `graph` says how learned dependencies are labelled (lazyload's metric source) and their TTL; its `now`
// is replaced by the time of each request. Subscribes to `store`: call before the store is fed.
void add_ui_routes(AdminServer& server, store::SharedStore& store, graph::GraphOptions graph);

// The page itself (for tests that check what it does without a browser).
const char* ui_page();

}  // namespace slime::runtime

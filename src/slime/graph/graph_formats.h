#pragma once
// `slime graph -o dot|svg`: a graph view (graph_view.h) as Graphviz DOT, or as a self-drawn SVG (one column
// per namespace, services stacked in it, dependencies as curves; learned solid, static dashed). The SVG needs
// no Graphviz: the same column layout the /ui page draws.
#include <string>

#include "slime/core/json.h"

namespace slime::graph {

std::string to_dot(const core::Json& view);
std::string to_svg(const core::Json& view);

}  // namespace slime::graph

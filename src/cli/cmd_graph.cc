// slime graph: the dependency graph of a set of manifests, offline (for reviews and docs). The manifests are
// rendered first (as `slime render` does), so the graph shows the Sidecars lazyload would write; the graph
// itself is the same code the admin server's /ui and /api/v1/graph use.
#include <iostream>
#include <set>

#include "commands.h"
#include "offline_inputs.h"
#include "slime/graph/graph_formats.h"
#include "slime/graph/graph_view.h"
#include "slime/graph/mesh_graph.h"
#include "slime/render/render.h"
#include "slime/store/memory_store.h"

namespace slime::cli {
namespace {

struct GraphArgs {
  std::vector<std::string> paths;
  std::string config;
  std::string output = "json";
  std::string ns;
  std::string now;
  bool no_render = false;
};

int run_graph(const GraphArgs& args) {
  auto in = load_offline_inputs(args.config, args.now, args.paths);
  if (!in) return 2;

  store::MemoryStore snapshot;
  std::vector<core::Error> problems;
  if (args.no_render) {
    for (auto& o : in->objects) snapshot.put(std::move(o));
  } else {
    render::RenderOptions options;
    options.now = in->now;
    options.keep_inputs = true;
    core::NoMetrics metrics;
    auto result = render::render(std::move(in->objects), in->instances.modules, metrics, options);
    // Inputs as the modules left them (statuses written), then what they generated on top.
    for (auto& o : result.inputs) snapshot.put(std::move(o));
    for (auto& o : result.generated) snapshot.put(std::move(o));
    problems = std::move(result.problems);
  }
  auto graph = graph::build_graph(snapshot, graph::graph_options(in->instances.configs, in->now));
  auto view = graph::graph_view(graph, graph::unbounded_view(args.ns));
  // Load and render errors belong to the same review as the graph's own.
  for (const auto* list : {&in->load_errors, &problems})
    for (const auto& e : *list) view["problems"].push_back(e.str());

  if (args.output == "dot") std::cout << graph::to_dot(view);
  else if (args.output == "svg") std::cout << graph::to_svg(view);
  else std::cout << view.dump(2) << '\n';

  for (const auto& e : in->load_errors) std::cerr << "error: " << e.str() << '\n';
  for (const auto& e : problems) std::cerr << "error: " << e.str() << '\n';
  for (const auto& e : graph.problems) std::cerr << "error: " << e.str() << '\n';
  return in->load_errors.empty() && problems.empty() && graph.problems.empty() ? 0 : 1;
}

}  // namespace

void add_graph_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<GraphArgs>();
  auto* cmd = app.add_subcommand("graph", "Print the mesh's dependency graph (Services, static and learned dependencies) "
                                          "from manifest files");
  cmd->add_option("-f,--filename", args->paths, "File, directory (recursive *.yaml, *.yml, *.json) or - for stdin")
      ->required();
  cmd->add_option("--config", args->config, "Module configuration: a module entry, {module: [...]} or a SlimeBoot");
  cmd->add_option("-o,--output", args->output, "Output format")
      ->check(CLI::IsMember({"json", "dot", "svg"}))
      ->capture_default_str();
  cmd->add_option("--namespace", args->ns, "Only this namespace's Services and the dependencies touching them");
  cmd->add_option("--now", args->now, "Clock for expiry (RFC 3339, UTC); default: the current time");
  cmd->add_flag("--no-render", args->no_render, "Graph the manifests as given, without rendering the Sidecars first");
  cmd->callback([args, &run] { run = [args] { return run_graph(*args); }; });
}

}  // namespace slime::cli

// slime graph: the dependency graph of a set of manifests, offline (for reviews and docs). The manifests are
// rendered first (as `slime render` does), so the graph shows the Sidecars lazyload would write; the graph
// itself is the same code the admin server's /ui and /api/v1/graph use.
#include <iostream>
#include <set>

#include "commands.h"
#include "config_file.h"
#include "parse_now.h"
#include "slime/graph/graph_formats.h"
#include "slime/graph/graph_view.h"
#include "slime/graph/mesh_graph.h"
#include "slime/modules/registry.h"
#include "slime/render/render.h"
#include "slime/store/manifest_loader.h"
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
  auto cfg = load_config_file(args.config);
  if (!cfg) {
    std::cerr << "error: " << cfg.error().str() << '\n';
    return 2;
  }
  auto now = parse_now(args.now);
  if (!now) {
    std::cerr << "error: " << now.error().str() << '\n';
    return 2;
  }
  auto instances = modules::instantiate(*cfg);
  if (!instances) {
    std::cerr << "error: " << instances.error().str() << '\n';
    return 2;
  }
  for (const auto& w : instances->warnings) std::cerr << "warning: " << w.str() << '\n';

  auto loaded = store::load_paths(args.paths);
  std::vector<core::Object> inputs;
  inputs.reserve(loaded.objects.size());
  for (auto& l : loaded.objects) inputs.push_back(std::move(l.object));

  store::MemoryStore snapshot;
  std::vector<core::Error> problems;
  if (args.no_render) {
    for (auto& o : inputs) snapshot.put(std::move(o));
  } else {
    render::RenderOptions options;
    options.now = *now;
    options.keep_inputs = true;
    core::NoMetrics metrics;
    auto result = render::render(std::move(inputs), instances->modules, metrics, options);
    // Inputs as the modules left them (statuses written), then what they generated on top.
    for (auto& o : result.inputs) snapshot.put(std::move(o));
    for (auto& o : result.generated) snapshot.put(std::move(o));
    problems = std::move(result.problems);
  }
  auto graph = graph::build_graph(snapshot, graph::graph_options(instances->configs, *now));
  auto view = graph::graph_view(graph, graph::unbounded_view(args.ns));
  // Load and render errors belong to the same review as the graph's own.
  for (const auto* list : {&loaded.errors, &problems})
    for (const auto& e : *list) view["problems"].push_back(e.str());

  if (args.output == "dot") std::cout << graph::to_dot(view);
  else if (args.output == "svg") std::cout << graph::to_svg(view);
  else std::cout << view.dump(2) << '\n';

  for (const auto& e : loaded.errors) std::cerr << "error: " << e.str() << '\n';
  for (const auto& e : problems) std::cerr << "error: " << e.str() << '\n';
  for (const auto& e : graph.problems) std::cerr << "error: " << e.str() << '\n';
  return loaded.errors.empty() && problems.empty() && graph.problems.empty() ? 0 : 1;
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

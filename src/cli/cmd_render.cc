// slime render: files in, generated Istio objects out. No cluster needed.
#include <iostream>
#include <set>

#include "commands.h"
#include "offline_inputs.h"
#include "slime/core/yaml.h"
#include "slime/metric/fixture.h"
#include "slime/render/render.h"

namespace slime::cli {
namespace {

struct RenderArgs {
  std::vector<std::string> paths;
  std::string config;
  std::string output = "yaml";
  bool all = false;
  std::string now;
  std::string metrics;  // metric fixture file (metric/fixture.h)
};

int run_render(const RenderArgs& args) {
  auto in = load_offline_inputs(args.config, args.now, args.paths);
  if (!in) return 2;

  render::RenderOptions options;
  options.now = in->now;
  options.keep_inputs = args.all;
  metric::MetricFixture metrics;
  if (!args.metrics.empty()) {
    auto fixture = metric::MetricFixture::load(args.metrics);
    if (!fixture) {
      std::cerr << "error: " << fixture.error().str() << '\n';
      return 2;
    }
    metrics = std::move(*fixture);
  }
  auto result = render::render(std::move(in->objects), in->instances.modules, metrics, options);

  std::vector<core::Json> docs;
  if (args.all) {
    // An input a module re-rendered (e.g. a fence auto-fence manages) prints once, as rendered.
    std::set<core::ObjectKey> generated;
    for (const auto& o : result.generated) generated.insert(o.key());
    for (auto& o : result.inputs)
      if (!generated.count(o.key())) docs.push_back(std::move(o.json()));
  }
  for (auto& o : result.generated) docs.push_back(std::move(o.json()));
  if (args.all) {
    std::vector<core::Object> merged;
    for (auto& d : docs) merged.emplace_back(std::move(d));
    render::sort_objects(merged);
    docs.clear();
    for (auto& o : merged) docs.push_back(std::move(o.json()));
  }

  if (args.output == "json") {
    core::Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", core::Json::array()}};
    for (auto& d : docs) list["items"].push_back(std::move(d));
    std::cout << list.dump(2) << '\n';
  } else {
    std::cout << core::to_yaml_stream(docs);
  }

  // What a metric-driven module went through (phase changes), and the queries a fixture could answer.
  for (const auto& ev : result.events)
    std::cerr << "event: " << ev.regarding.gk.kind << " " << (ev.regarding.ns.empty() ? "" : ev.regarding.ns + "/")
              << ev.regarding.name << ": " << ev.type << " " << ev.reason << ": " << ev.message << '\n';
  if (!args.metrics.empty())
    for (const auto& q : metrics.unanswered()) std::cerr << "note: the metric fixture has no value for " << q << '\n';
  for (const auto& e : in->load_errors) std::cerr << "error: " << e.str() << '\n';
  for (const auto& e : result.problems) std::cerr << "error: " << e.str() << '\n';
  return in->load_errors.empty() && result.problems.empty() ? 0 : 1;
}

}  // namespace

void add_render_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<RenderArgs>();
  auto* cmd = app.add_subcommand("render", "Render the Istio objects Slime generates from manifest files");
  cmd->add_option("-f,--filename", args->paths, "File, directory (recursive *.yaml, *.yml, *.json) or - for stdin")
      ->required();
  cmd->add_option("--config", args->config, "Module configuration: a module entry, {module: [...]} or a SlimeBoot");
  cmd->add_option("-o,--output", args->output, "Output format")->check(CLI::IsMember({"yaml", "json"}));
  cmd->add_flag("--all", args->all, "Print the input objects too (with the statuses modules wrote)");
  cmd->add_option("--metrics", args->metrics,
                  "Metric fixture: YAML mapping each PromQL query a module asks to its value (offline preview)");
  cmd->add_option("--now", args->now, "Clock for time-dependent logic (RFC 3339, UTC); default: the current time");
  cmd->callback([args, &run] { run = [args] { return run_render(*args); }; });
}

}  // namespace slime::cli

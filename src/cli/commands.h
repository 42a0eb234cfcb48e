#pragma once
// Each subcommand lives in its own cmd_*.cc and registers itself on the CLI11 app here.
#include <CLI/CLI.hpp>

#include <functional>

namespace slime::cli {

// Set by a subcommand's callback: the process exit status.
using Runner = std::function<int()>;

void add_render_command(CLI::App& app, Runner& run);
void add_run_command(CLI::App& app, Runner& run);  // cmd_run.cc (runtime branch)
void add_version_command(CLI::App& app, Runner& run);
void add_boot_command(CLI::App& app, Runner& run);
void add_proxy_command(CLI::App& app, Runner& run);
void add_module_command(CLI::App& app, Runner& run);  // cmd_module.cc: `slime module new`
void add_graph_command(CLI::App& app, Runner& run);   // cmd_graph.cc: `slime graph`

}  // namespace slime::cli

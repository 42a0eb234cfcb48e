// slime: one binary for every Slime job (render, run, proxy, boot).
#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Slime: intent-level policies for Istio service meshes (lazyload, limiter, plugin)", "slime"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every subcommand");
  slime::cli::Runner run;
  slime::cli::add_render_command(app, run);
  slime::cli::add_run_command(app, run);
  slime::cli::add_version_command(app, run);
  slime::cli::add_boot_command(app, run);
  slime::cli::add_proxy_command(app, run);
  slime::cli::add_module_command(app, run);
  slime::cli::add_graph_command(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2; --help exits 0.
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return run ? run() : 0;
}

#include <iostream>

#include "commands.h"
#include "slime/modules/registry.h"

namespace slime::cli {

void add_version_command(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("version", "Print the version and the modules compiled in");
  cmd->callback([&run] {
    run = [] {
      std::cout << "slime " << SLIME_VERSION << "\nmodules:";
      for (const auto& k : modules::available_kinds()) std::cout << ' ' << k;
      std::cout << '\n';
      return 0;
    };
  });
}

}  // namespace slime::cli

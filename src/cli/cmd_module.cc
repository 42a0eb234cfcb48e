// slime module new NAME: the compiled route to a new module (docs/policy.md says when a policy
// definition does the job with no code). Writes a skeleton into a Slime source tree.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "module_skeleton.h"

namespace slime::cli {
namespace {

namespace fs = std::filesystem;

int new_module(const std::string& name, const std::string& root) {
  if (auto ok = check_module_name(name); !ok) {
    std::cerr << "error: " << ok.error().str() << '\n';
    return 2;
  }
  fs::path base(root);
  if (!fs::is_directory(base / "src/slime/modules") || !fs::exists(base / "cmake/slime.cmake")) {
    std::cerr << "error: " << base.string()
              << " is not a Slime source tree (no src/slime/modules/ or cmake/slime.cmake); use --root\n";
    return 2;
  }
  auto files = module_skeleton(name);
  // Nothing is written when anything would be overwritten: a half-generated module helps no one.
  for (const auto& f : files)
    if (fs::exists(base / f.path)) {
      std::cerr << "error: " << (base / f.path).string() << " exists; module '" << name << "' is not new\n";
      return 1;
    }
  for (const auto& f : files) {
    fs::path p = base / f.path;
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    std::ofstream out(p, std::ios::binary);
    out << f.text;
    if (ec || !out) {
      std::cerr << "error: cannot write " << p.string() << '\n';
      return 1;
    }
    std::cout << "created " << f.path << '\n';
  }
  std::cout << "next: cmake -S " << root << " -B build && ninja -C build slime_module_" << name
            << " unit_modules_" << name << " golden_runner && ctest --test-dir build -R '" << name << "'\n";
  return 0;
}

}  // namespace

void add_module_command(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("module", "Work on compiled modules (see docs/policy.md for zero-code policies)");
  cmd->require_subcommand(1);
  auto* create = cmd->add_subcommand("new", "Generate a C++ module skeleton that builds and passes its tests");
  auto name = std::make_shared<std::string>();
  auto root = std::make_shared<std::string>(".");
  create->add_option("NAME", *name, "module kind: a lower-case C++ identifier")->required();
  create->add_option("--root", *root, "the Slime source tree (default: the current directory)");
  create->callback([&run, name, root] { run = [name, root] { return new_module(*name, *root); }; });
}

}  // namespace slime::cli

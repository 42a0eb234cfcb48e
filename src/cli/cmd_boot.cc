// slime boot render: SlimeBoot files in, the manifests that install Slime out (what the boot module
// applies in operator mode, plus a preview of the global sidecar the lazyload module will run).
#include <iostream>

#include "commands.h"
#include "slime/core/yaml.h"
#include "slime/modules/boot/manifests.h"
#include "slime/modules/boot/names.h"
#include "slime/modules/boot/slimeboot.h"
#include "slime/render/render.h"
#include "slime/store/manifest_loader.h"

namespace slime::cli {
namespace {

struct BootRenderArgs {
  std::vector<std::string> paths;
  std::string output = "yaml";
  std::string image;
  bool global_sidecar = true;
};

// "repo[:tag]", where a ':' before the last '/' belongs to a registry port.
boot::ImageSpec parse_image(const std::string& ref, std::string pull_policy) {
  auto colon = ref.rfind(':');
  auto slash = ref.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return {ref, "", pull_policy};
  return {ref.substr(0, colon), ref.substr(colon + 1), pull_policy};
}

int run_boot_render(const BootRenderArgs& args) {
  boot::BootOptions options;
  options.render_global_sidecar = args.global_sidecar;
  if (!args.image.empty()) options.image = parse_image(args.image, options.image.pull_policy);

  auto loaded = store::load_paths(args.paths);
  bool failed = !loaded.errors.empty();
  for (const auto& e : loaded.errors) std::cerr << "error: " << e.str() << '\n';

  std::vector<core::Object> objects;
  size_t slimeboots = 0;
  for (const auto& l : loaded.objects) {
    if (l.object.key().gk != boot::kSlimeBootGk) continue;
    ++slimeboots;
    auto where = [&](core::Error e) {
      e.file = l.file;
      e.document = l.document;
      if (e.line == 0) e.line = l.line;
      return std::move(e).in_object(l.object.ref());
    };
    auto parsed = boot::parse_slimeboot_spec(l.object.spec());
    if (!parsed) {
      std::cerr << "error: " << where(parsed.error()).str() << '\n';
      failed = true;
      continue;
    }
    for (const auto& w : parsed->warnings) std::cerr << "warning: " << where(w).str() << '\n';
    std::string ns = l.object.ns().empty() ? "default" : l.object.ns();
    auto rendered = boot::render_slimeboot(parsed->spec, options, ns + "/" + l.object.name());
    for (const auto& n : rendered.notes) std::cerr << "note: " << l.object.ref() << ": " << n << '\n';
    for (const auto& p : rendered.problems) std::cerr << "error: " << where(p).str() << '\n';
    failed |= !rendered.problems.empty();
    for (auto& o : rendered.objects) objects.push_back(std::move(o));
  }
  if (slimeboots == 0 && loaded.errors.empty()) {
    std::cerr << "error: no SlimeBoot (config.netease.com/v1alpha1) in the input\n";
    return 1;
  }

  render::sort_objects(objects);
  std::vector<core::Json> docs;
  docs.reserve(objects.size());
  for (auto& o : objects) docs.push_back(std::move(o.json()));
  if (args.output == "json") {
    core::Json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", std::move(docs)}};
    std::cout << list.dump(2) << '\n';
  } else {
    std::cout << core::to_yaml_stream(docs);
  }
  return failed ? 1 : 0;
}

}  // namespace

void add_boot_command(CLI::App& app, Runner& run) {
  auto* boot = app.add_subcommand("boot", "Install Slime: SlimeBoot resources to deployment manifests");
  boot->require_subcommand(1);
  auto args = std::make_shared<BootRenderArgs>();
  auto* cmd = boot->add_subcommand("render", "Print the objects a SlimeBoot installs (for kubectl apply or review)");
  cmd->add_option("-f,--filename", args->paths, "File, directory (recursive *.yaml, *.yml, *.json) or - for stdin")
      ->required();
  cmd->add_option("-o,--output", args->output, "Output format")->check(CLI::IsMember({"yaml", "json"}));
  cmd->add_option("--image", args->image,
                  "Image running slime, used when a SlimeBoot names none or an original Go image (default slime:latest)");
  cmd->add_flag("--global-sidecar,!--no-global-sidecar", args->global_sidecar,
                "Include the global sidecar objects the lazyload module will create (default: on)");
  cmd->callback([args, &run] { run = [args] { return run_boot_render(*args); }; });
}

}  // namespace slime::cli

#pragma once
// The files `slime module new NAME` writes: a compiled module that builds, registers itself through the
// module folders' CMake glob and passes its own unit test and golden case as generated.
#include <string>
#include <vector>

#include "slime/core/error.h"

namespace slime::cli {

struct SkeletonFile {
  std::string path;  // relative to the source tree's root
  std::string text;
};

// NAME must be a C++ identifier in lower case ([a-z][a-z0-9_]*), since it names the folder, the
// namespace slime::NAME and the module kind.
core::Result<void> check_module_name(const std::string& name);

std::vector<SkeletonFile> module_skeleton(const std::string& name);

}  // namespace slime::cli

// `slime module new NAME` must give a module that builds and passes its own tests unchanged. This copies
// only what a build of that module needs (top-level CMake, cmake/, src/, proto/, the test and golden
// CMake files and the golden runner) into a scratch tree, generates the module there, configures, builds
// just the module's targets (ccache makes the unchanged layers cache hits) and runs its tests.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

namespace fs = std::filesystem;

const fs::path kSource = SLIME_SOURCE_DIR;
const fs::path kSlime = fs::path(SLIME_BINARY_DIR) / "bin" / "slime";

int sh(const std::string& cmd, const fs::path& log) {
  std::string full = "(" + cmd + ") >" + log.string() + " 2>&1";
  int rc = std::system(full.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ModuleNew : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = fs::path(SLIME_BINARY_DIR) / "module-new-scratch";
    fs::remove_all(scratch_);
    fs::create_directories(scratch_ / "test" / "golden");
    auto opts = fs::copy_options::recursive;
    for (const char* d : {"cmake", "src", "proto"}) fs::copy(kSource / d, scratch_ / d, opts);
    fs::copy(kSource / "CMakeLists.txt", scratch_ / "CMakeLists.txt");
    fs::copy(kSource / "test" / "CMakeLists.txt", scratch_ / "test" / "CMakeLists.txt");
    fs::copy(kSource / "test" / "support", scratch_ / "test" / "support", opts);  // the gRPC echo library
    for (const char* f : {"CMakeLists.txt", "golden_runner.cc"})
      fs::copy(kSource / "test" / "golden" / f, scratch_ / "test" / "golden" / f);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(scratch_);  // kept for a look when something failed
  }
  fs::path scratch_;
};

TEST_F(ModuleNew, GeneratedModuleBuildsAndPassesItsTests) {
  fs::path log = scratch_ / "log.txt";
  ASSERT_EQ(sh(kSlime.string() + " module new greeter --root " + scratch_.string(), log), 0) << slurp(log);
  for (const char* f : {"src/slime/modules/greeter/module.cc", "src/slime/modules/greeter/config.cc",
                        "test/unit/modules/greeter/module_test.cc", "test/golden/greeter/basic/expected.yaml",
                        "docs/greeter.md"})
    EXPECT_TRUE(fs::exists(scratch_ / f)) << f;

  // A second run, a bad name and a tree that is not Slime's change nothing.
  EXPECT_EQ(sh(kSlime.string() + " module new greeter --root " + scratch_.string(), log), 1) << slurp(log);
  EXPECT_EQ(sh(kSlime.string() + " module new Bad-Name --root " + scratch_.string(), log), 2) << slurp(log);
  EXPECT_EQ(sh(kSlime.string() + " module new other --root " + (scratch_ / "docs").string(), log), 2) << slurp(log);
  EXPECT_FALSE(fs::exists(scratch_ / "src/slime/modules/other"));

  std::string env = "cd " + scratch_.string() + " && export CCACHE_BASEDIR=" + scratch_.string() + " && ";
  ASSERT_EQ(sh(env + "cmake -S . -B build -G Ninja -DSLIME_WERROR=ON -DSLIME_BENCH=OFF", log), 0) << slurp(log);
  ASSERT_EQ(sh(env + "nice -n 5 ninja -C build -j2 unit_modules_greeter golden_runner", log), 0) << slurp(log);
  EXPECT_EQ(sh(env + "build/bin/unit_modules_greeter", log), 0) << slurp(log);
  ASSERT_EQ(sh(env + "build/bin/golden_runner --gtest_filter='*greeter*'", log), 0) << slurp(log);
  EXPECT_NE(slurp(log).find("[  PASSED  ] 1 test"), std::string::npos) << slurp(log);
}

}  // namespace

// main() for envtest programs: one real apiserver per test program, shared by its tests (starting
// one takes seconds; tests isolate themselves by namespace instead).
#include <gtest/gtest.h>

#include <cstdio>

#include "envtest_server.h"

namespace {
class EnvtestEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto s = slime::testing::EnvtestServer::start_shared();
    ASSERT_TRUE(s.has_value()) << s.error().str();
  }
  void TearDown() override { slime::testing::EnvtestServer::stop_shared(); }
};
}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new EnvtestEnvironment);
  return RUN_ALL_TESTS();
}

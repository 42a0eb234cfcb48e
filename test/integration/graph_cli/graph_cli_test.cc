// `slime graph` as a user runs it: the example mesh's graph against committed expectations (JSON and DOT),
// a well-formed SVG with every node and edge, namespace filtering, and bad input named by file and object.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "slime/core/json.h"

namespace {
namespace fs = std::filesystem;

struct CliRun {
  int status = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GraphCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slime-graph-cli-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun slime(const std::string& args) {
    std::string cmd = "cd " + std::string(SLIME_SOURCE_DIR) + " && " + SLIME_BINARY_DIR + "/bin/slime " + args + " >" +
                      (dir_ / "out").string() + " 2>" + (dir_ / "err").string();
    int raw = std::system(cmd.c_str());
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(dir_ / "out"), slurp(dir_ / "err")};
  }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  fs::path dir_;
};

const std::string kExample = "graph -f examples/lazyload --config examples/lazyload/lazyload.cfg --now 2024-05-01T00:00:00Z";
const fs::path kHere = fs::path(SLIME_SOURCE_DIR) / "test/integration/graph_cli";

TEST_F(GraphCli, ExampleMeshJsonMatchesTheCommittedGraph) {
  auto r = slime(kExample + " -o json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(slime::core::Json::parse(r.out), slime::core::Json::parse(slurp(kHere / "example_mesh.json")))
      << "regenerate with: slime " << kExample << " > test/integration/graph_cli/example_mesh.json (and review)";
}

TEST_F(GraphCli, ExampleMeshDotMatchesTheCommittedGraph) {
  auto r = slime(kExample + " -o dot");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, slurp(kHere / "example_mesh.dot"));
  // What a reviewer looks for: learned edges solid, static ones dashed.
  EXPECT_NE(r.out.find("\"default/productpage\" -> \"default/details\" [label=\"accesslog\"];"), std::string::npos);
  EXPECT_NE(r.out.find("\"tools/tester\" -> \"www.example.com\" [label=\"static\", style=dashed];"), std::string::npos);
}

TEST_F(GraphCli, SvgDrawsEveryNodeAndEdge) {
  auto r = slime(kExample + " -o svg");
  ASSERT_EQ(r.status, 0) << r.err;
  auto json = slime::core::Json::parse(slime(kExample + " -o json").out);
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = r.out.find(needle); at != std::string::npos; at = r.out.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(r.out.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(count("<g class=\"node "), json["nodes"].size());
  EXPECT_EQ(count("<path class=\"edge\""), json["edges"].size());
  EXPECT_EQ(count("<g "), count("</g>"));
  EXPECT_NE(r.out.find(">productpage</text>"), std::string::npos);
  EXPECT_NE(r.out.find("</svg>\n"), std::string::npos);
}

TEST_F(GraphCli, NamespaceFilterKeepsTheEdgesTouchingIt) {
  auto r = slime(kExample + " --namespace tools");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = slime::core::Json::parse(r.out);
  EXPECT_EQ(j["view"], "namespace");
  ASSERT_EQ(j["edges"].size(), 2u);
  for (const auto& e : j["edges"]) EXPECT_EQ(e["from"], "tools/tester");
}

TEST_F(GraphCli, BrokenYamlIsNamedByFileAndTheRestIsGraphed) {
  std::string bad = write("bad.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a, namespace: x}\n---\n: : bad: [\n");
  auto r = slime("graph -f " + bad + " -o json");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(bad + ":5: document 1: invalid YAML"), std::string::npos) << r.err;
  auto j = slime::core::Json::parse(r.out);
  EXPECT_EQ(j["nodes"][0]["id"], "x/a");  // the good document is still there
  ASSERT_EQ(j["problems"].size(), 1u);
}

TEST_F(GraphCli, ABadFenceIsNamedByObjectAndField) {
  std::string bad = write("fence.yaml",
                          "apiVersion: microservice.slime.io/v1alpha1\nkind: ServiceFence\n"
                          "metadata: {name: broken, namespace: default}\n"
                          "spec: {enable: true, host: {\"a.b\": {deadline: {expire: {seconds: nope}}}}}\n");
  auto r = slime("graph --no-render -f " + bad + " -f examples/lazyload/bookinfo.yaml -f examples/lazyload/fences.yaml -o dot");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("ServiceFence default/broken: spec.host.a.b.deadline.expire.seconds: expected an integer"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("\"default/reviews\" -> \"default/ratings\""), std::string::npos) << r.out;
}

TEST_F(GraphCli, UnknownFormatAndMissingFileAreUsageErrors) {
  EXPECT_EQ(slime("graph -f examples/lazyload -o png").status, 2);
  auto r = slime("graph -f " + (dir_ / "absent.yaml").string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("absent.yaml"), std::string::npos) << r.err;
}

}  // namespace

// Golden tests: test/golden/<module>/<case>/ holds
//   input.yaml and/or input/   the objects fed to `slime render`
//   config.yaml   (optional)   module configuration; without it only <module> runs, with defaults
//                              (a policy's `definition: FILE` is read relative to it, as --config does)
//   options.yaml  (optional)   {now: RFC3339, all: bool}
//   metrics.yaml  (optional)   metric fixture answering the modules' queries (metric/fixture.h)
//   expected.yaml              the generated objects (with all: true, the inputs too)
//   errors.txt    (optional)   one expected substring of the reported problems per line: every line
//                              must match a problem and every problem a line; without it the case
//                              must render without problems
// Comparison is semantic: objects matched by apiVersion/kind/namespace/name, key order ignored,
// numbers by value, list order significant; an object generated twice is a failure.
// SLIME_UPDATE_GOLDEN=1 rewrites expected.yaml instead of comparing (review the diff!); that run fails on
// purpose, so an update can never pass as a test.
#include <gtest/gtest.h>

#include <filesystem>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

#include "slime/core/config.h"
#include "slime/core/json_diff.h"
#include "slime/core/yaml.h"
#include "slime/metric/fixture.h"
#include "slime/modules/registry.h"
#include "slime/render/render.h"
#include "slime/store/definition_files.h"
#include "slime/store/manifest_loader.h"
#include "golden_case_config.h"

namespace fs = std::filesystem;
using namespace slime;

namespace {

struct Case {
  std::string module;
  fs::path dir;
};

// Test listings show the case folder instead of the parameter's bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.module << "/" << c.dir.filename().string(); }

std::vector<Case> discover() {
  std::vector<Case> out;
  fs::path root = fs::path(SLIME_SOURCE_DIR) / "test" / "golden";
  for (auto& m : fs::directory_iterator(root)) {
    if (!m.is_directory()) continue;
    for (auto& c : fs::directory_iterator(m.path()))
      if (c.is_directory()) out.push_back({m.path().filename().string(), c.path()});
  }
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.dir < b.dir; });
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string object_id(const core::Json& j) {
  auto s = [&](const core::Json& parent, const char* k) {
    return parent.is_object() && parent.contains(k) && parent[k].is_string() ? parent[k].get<std::string>() : "";
  };
  const core::Json& meta = j.is_object() && j.contains("metadata") ? j["metadata"] : core::Json();
  return s(j, "apiVersion") + " " + s(j, "kind") + " " + s(meta, "namespace") + "/" + s(meta, "name");
}

class Golden : public ::testing::TestWithParam<Case> {};

TEST_P(Golden, RendersExpectedObjects) {
  const Case& c = GetParam();
  std::vector<std::string> inputs;
  for (const char* name : {"input.yaml", "input.json", "input"})
    if (fs::exists(c.dir / name)) inputs.push_back((c.dir / name).string());
  ASSERT_FALSE(inputs.empty()) << c.dir << " has no input.yaml or input/";

  auto config = slime::testing::golden_case_config(c.dir, c.module);
  ASSERT_TRUE(config) << config.error().str();
  auto instances = modules::instantiate(*config);
  ASSERT_TRUE(instances) << instances.error().str();
  ASSERT_FALSE(instances->modules.empty()) << "module '" << c.module << "' is not part of this build";
  for (const auto& m : instances->missing) ADD_FAILURE() << "config.yaml: " << m.str();

  render::RenderOptions options;
  options.now = std::chrono::system_clock::from_time_t(1700000000);  // 2023-11-14T22:13:20Z
  bool all = false;
  if (fs::exists(c.dir / "options.yaml")) {
    auto opts = core::parse_yaml(read_file(c.dir / "options.yaml"));
    ASSERT_TRUE(opts) << opts.error().str();
    if (opts->contains("now")) {
      std::tm tm{};
      std::istringstream in((*opts)["now"].get<std::string>());
      in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
      options.now = std::chrono::system_clock::from_time_t(timegm(&tm));
    }
    all = opts->value("all", false);
    options.keep_inputs = all;
  }

  auto loaded = store::load_paths(inputs);
  std::vector<core::Object> objects;
  for (auto& l : loaded.objects) objects.push_back(std::move(l.object));
  metric::MetricFixture metrics;
  if (fs::exists(c.dir / "metrics.yaml")) {
    auto fixture = metric::MetricFixture::load((c.dir / "metrics.yaml").string());
    ASSERT_TRUE(fixture) << fixture.error().str();
    metrics = std::move(*fixture);
  }
  auto result = render::render(std::move(objects), instances->modules, metrics, options);

  std::vector<std::string> problems;
  for (auto& e : loaded.errors) problems.push_back(e.str());
  for (auto& e : result.problems) problems.push_back(e.str());

  std::vector<core::Json> actual;
  if (all)
    for (auto& o : result.inputs) actual.push_back(o.json());
  for (auto& o : result.generated) actual.push_back(o.json());

  if (std::getenv("SLIME_UPDATE_GOLDEN")) {
    std::vector<core::Object> sorted;
    for (auto& j : actual) sorted.emplace_back(j);
    render::sort_objects(sorted);
    std::vector<core::Json> docs;
    for (auto& o : sorted) docs.push_back(o.json());
    std::ofstream(c.dir / "expected.yaml") << core::to_yaml_stream(docs);
    FAIL() << "SLIME_UPDATE_GOLDEN: rewrote " << (c.dir / "expected.yaml") << " without comparing; review it and run "
           << "again without SLIME_UPDATE_GOLDEN";
  }

  // Problems: exactly the expected ones (by substring), or none.
  std::vector<std::string> wanted;
  if (fs::exists(c.dir / "errors.txt")) {
    std::istringstream in(read_file(c.dir / "errors.txt"));
    for (std::string line; std::getline(in, line);)
      if (!line.empty() && line[0] != '#') wanted.push_back(line);
  }
  for (const auto& w : wanted) {
    bool found = std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p.find(w) != std::string::npos; });
    EXPECT_TRUE(found) << "expected a problem containing: " << w << "\nproblems were:\n" << ::testing::PrintToString(problems);
  }
  // Every reported problem must be one errors.txt expects: a new problem is a change of behaviour too.
  for (const auto& p : problems) {
    bool expected = std::any_of(wanted.begin(), wanted.end(), [&](const std::string& w) { return p.find(w) != std::string::npos; });
    EXPECT_TRUE(expected) << "unexpected problem (not in errors.txt): " << p;
  }

  ASSERT_TRUE(fs::exists(c.dir / "expected.yaml")) << "missing " << (c.dir / "expected.yaml");
  auto expected_docs = core::parse_yaml_documents(read_file(c.dir / "expected.yaml"), "expected.yaml");
  ASSERT_TRUE(expected_docs.errors.empty()) << expected_docs.errors[0].str();

  std::map<std::string, core::Json> want, got;
  for (auto& d : expected_docs.documents) want[object_id(d.json)] = d.json;
  for (auto& j : actual)
    if (!got.emplace(object_id(j), j).second) ADD_FAILURE() << "object generated twice: " << object_id(j);
  for (auto& [id, w] : want) {
    auto it = got.find(id);
    if (it == got.end()) {
      ADD_FAILURE() << "missing object " << id;
      continue;
    }
    auto diff = core::json_diff(w, it->second);
    if (!diff.empty()) {
      std::string msg;
      for (auto& d : diff) msg += "  " + d + "\n";
      ADD_FAILURE() << "object " << id << " differs:\n" << msg << "actual:\n" << core::to_yaml(it->second);
    }
  }
  for (auto& [id, g] : got)
    if (!want.count(id)) ADD_FAILURE() << "unexpected object " << id << ":\n" << core::to_yaml(g);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string s = info.param.module + "_" + info.param.dir.filename().string();
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Cases, Golden, ::testing::ValuesIn(discover()), case_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Golden);

}  // namespace

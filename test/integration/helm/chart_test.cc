// The Helm chart charts/slime with the real helm CLI: lint and template of the default values and of
// every example values file; the hardened defaults; the operator's command line accepted by the real
// `slime run`; a SlimeBoot from values accepted by the real `slime boot render`; the CRDs and the RBAC
// the same as api/crds/ and deploy/ grant; the values schema rejecting what it should.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <tuple>

#include "helm.h"

namespace {
namespace fs = std::filesystem;
using slime::core::Json;
using slime::testing::chart_dir;
using slime::testing::Command;
using slime::testing::run_command;
using slime::testing::yaml_documents;

const std::string kNamespace = "mesh-operator";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The values files the chart is tested with: the defaults ("") and every example.
std::vector<std::string> values_files() {
  std::vector<std::string> out{""};
  for (const auto& e : fs::directory_iterator(chart_dir() + "/examples"))
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}
std::string label(const std::string& values) { return values.empty() ? "default values" : fs::path(values).filename().string(); }
std::string values_flag(const std::string& values) { return values.empty() ? "" : " -f " + values; }

class Chart : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("slime-chart-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Command helm(const std::string& args) { return slime::testing::helm(args, dir_.string()); }

  // `helm template slime charts/slime -n mesh-operator` (as the README installs it), parsed.
  std::vector<Json> render(const std::string& values, const std::string& extra = "") {
    auto r = helm("template slime " + chart_dir() + " -n " + kNamespace + values_flag(values) + " " + extra);
    EXPECT_EQ(r.status, 0) << label(values) << ":\n" << r.output;
    return yaml_documents(r.output, label(values));
  }
  static std::vector<Json> of_kind(const std::vector<Json>& docs, const std::string& kind) {
    std::vector<Json> out;
    for (const auto& d : docs)
      if (d.value("kind", "") == kind) out.push_back(d);
    return out;
  }
  static Json one(const std::vector<Json>& docs, const std::string& kind) {
    auto all = of_kind(docs, kind);
    EXPECT_EQ(all.size(), 1u) << kind;
    return all.empty() ? Json::object() : all.front();
  }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  fs::path dir_;
};

TEST_F(Chart, HelmIsBuilt) {
  auto r = helm("version --short");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.rfind("v3.", 0), 0u) << r.output;
}

TEST_F(Chart, LintsCleanWithEveryValuesFile) {
  for (const auto& values : values_files()) {
    auto r = helm("lint --strict " + chart_dir() + " --namespace " + kNamespace + values_flag(values));
    EXPECT_EQ(r.status, 0) << label(values) << ":\n" << r.output;
    EXPECT_NE(r.output.find("0 chart(s) failed"), std::string::npos) << label(values) << ":\n" << r.output;
  }
}

TEST_F(Chart, RendersTheOperatorWithEveryValuesFile) {
  for (const auto& values : values_files()) {
    SCOPED_TRACE(label(values));
    auto docs = render(values);
    for (const char* kind : {"Deployment", "ServiceAccount", "ConfigMap", "Service", "ClusterRoleBinding"})
      EXPECT_EQ(of_kind(docs, kind).size(), 1u) << kind;
    EXPECT_GE(of_kind(docs, "ClusterRole").size(), 1u);
    for (const auto& d : docs) {
      auto kind = d.value("kind", "");
      bool cluster_scoped = kind == "ClusterRole" || kind == "ClusterRoleBinding";
      if (!cluster_scoped) {
        EXPECT_EQ(d["metadata"].value("namespace", ""), kNamespace) << kind;
      }
      EXPECT_EQ(d["metadata"]["labels"].value("app.kubernetes.io/instance", ""), "slime") << kind;
    }
    auto deployment = one(docs, "Deployment");
    int replicas = deployment["spec"]["replicas"].get<int>();
    EXPECT_EQ(of_kind(docs, "PodDisruptionBudget").size(), replicas > 1 ? 1u : 0u);
    // The Service and the PodDisruptionBudget select exactly the operator's pods.
    auto pod_labels = deployment["spec"]["template"]["metadata"]["labels"];
    EXPECT_EQ(deployment["spec"]["selector"]["matchLabels"], one(docs, "Service")["spec"]["selector"]);
    for (auto& [k, v] : deployment["spec"]["selector"]["matchLabels"].items()) EXPECT_EQ(pod_labels[k], v) << k;
    for (const auto& pdb : of_kind(docs, "PodDisruptionBudget"))
      EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"], deployment["spec"]["selector"]["matchLabels"]);
    // The operator binds module ServiceAccounts to the chart's per-kind ClusterRoles, <clusterRole>-<kind>.
    auto cfg = slime::core::parse_yaml(one(docs, "ConfigMap")["data"]["cfg"].get<std::string>());
    ASSERT_TRUE(cfg.has_value()) << cfg.error().str();
    std::set<std::string> roles;
    for (const auto& r : of_kind(docs, "ClusterRole")) roles.insert(r["metadata"]["name"].get<std::string>());
    std::string prefix = (*cfg)["general"]["clusterRole"].get<std::string>();
    for (const char* kind : {"boot", "lazyload", "limiter", "plugin"})
      EXPECT_TRUE(roles.contains(prefix + "-" + kind)) << kind << " " << cfg->dump();
  }
}

TEST_F(Chart, DefaultsAreHardenedAndHighlyAvailable) {
  auto docs = render("");
  auto pod = one(docs, "Deployment")["spec"]["template"]["spec"];
  EXPECT_EQ(one(docs, "Deployment")["spec"]["replicas"], 2);
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  ASSERT_EQ(pod["containers"].size(), 1u);
  auto c = pod["containers"][0];
  EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(c["securityContext"]["capabilities"]["drop"], Json::array({"ALL"}));
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_TRUE(c["resources"].contains("limits"));
  auto args = c["command"].get<std::vector<std::string>>();
  auto le = std::find(args.begin(), args.end(), "--leader-elect");
  ASSERT_NE(le, args.end());
  EXPECT_EQ(*(le + 1), "on");
  EXPECT_NE(std::find(args.begin(), args.end(), "--leader-election-id"), args.end());
  EXPECT_EQ(one(docs, "PodDisruptionBudget")["spec"]["minAvailable"], 1);
  EXPECT_TRUE(of_kind(docs, "SlimeBoot").empty());
}

// Every flag of the rendered operator command exists in the real binary's `slime run`, with values it
// accepts: the command runs with a --kubeconfig that does not exist, so it gets past argument parsing
// and the configuration (the rendered ConfigMap's cfg; both exit 2 when rejected) and stops at the
// cluster connection: exit status 1, naming the kubeconfig.
TEST_F(Chart, OperatorCommandIsAcceptedBySlimeRun) {
  std::string help = run_command(std::string(SLIME_BINARY_DIR) + "/bin/slime run --help").output;
  std::set<std::string> flags;
  std::regex flag_re("--[a-z0-9][-a-z0-9]*");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), flag_re); it != std::sregex_iterator(); ++it)
    flags.insert(it->str());
  ASSERT_TRUE(flags.contains("--leader-elect")) << help;
  for (const auto& values : values_files()) {
    SCOPED_TRACE(label(values));
    auto docs = render(values);
    auto c = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    auto command = c["command"].get<std::vector<std::string>>();
    ASSERT_GE(command.size(), 2u);
    EXPECT_EQ(command[0], "/usr/local/bin/slime");
    EXPECT_EQ(command[1], "run");
    std::string cfg = write("cfg", one(docs, "ConfigMap")["data"]["cfg"].get<std::string>());
    std::string line = std::string(SLIME_BINARY_DIR) + "/bin/slime";
    for (size_t i = 1; i < command.size(); ++i) {
      const auto& a = command[i];
      if (a.rfind("--", 0) == 0) {
        EXPECT_TRUE(flags.contains(a)) << a << " is not a `slime run` flag:\n" << help;
      }
      // The mounted ConfigMap as a file of its own; the admin server on loopback, should it ever start.
      std::string value = command[i - 1] == "--config" ? cfg : command[i - 1] == "--admin-addr" ? "127.0.0.1:0" : a;
      line += " '" + value + "'";
    }
    auto r = run_command(line + " --kubeconfig " + (dir_ / "no-kubeconfig").string());
    EXPECT_EQ(r.status, 1) << line << "\n" << r.output;
    EXPECT_NE(r.output.find("cannot read kubeconfig " + (dir_ / "no-kubeconfig").string()), std::string::npos)
        << line << "\n" << r.output;
  }
}

// The SlimeBoot rendered from values is one the boot module accepts, and deploys what it lists.
TEST_F(Chart, SlimeBootFromValuesRendersItsModules) {
  int seen = 0;
  for (const auto& values : values_files()) {
    auto docs = render(values);
    for (const auto& sb : of_kind(docs, "SlimeBoot")) {
      SCOPED_TRACE(label(values));
      ++seen;
      EXPECT_EQ(sb["spec"]["namespace"], kNamespace);
      EXPECT_EQ(sb["spec"]["containerSecurityContext"]["readOnlyRootFilesystem"], true);
      std::string file = write("slimeboot.yaml", slime::core::to_yaml(sb));
      auto r = run_command(std::string(SLIME_BINARY_DIR) + "/bin/slime boot render --no-global-sidecar -f " + file);
      ASSERT_EQ(r.status, 0) << r.output;
      std::set<std::string> deployments;
      for (const auto& d : yaml_documents(r.output, "slime boot render"))
        if (d.value("kind", "") == "Deployment") deployments.insert(d["metadata"]["name"].get<std::string>());
      for (const auto& m : sb["spec"]["module"])
        if (m.value("enable", false) && m.value("mode", "") != "BundleItem") {
          EXPECT_TRUE(deployments.contains(m["name"].get<std::string>())) << m.dump() << "\n" << r.output;
        }
    }
  }
  EXPECT_GE(seen, 2) << "the examples should deploy modules in bundle and in module mode";
}

TEST_F(Chart, CrdsAreThoseOfApiCrds) {
  std::set<std::string> api, chart;
  for (const auto& e : fs::directory_iterator(std::string(SLIME_SOURCE_DIR) + "/api/crds"))
    if (e.path().filename() != "kustomization.yaml") api.insert(e.path().filename().string());
  for (const auto& e : fs::directory_iterator(chart_dir() + "/crds")) chart.insert(e.path().filename().string());
  EXPECT_EQ(api, chart);
  for (const auto& name : api)
    EXPECT_EQ(slurp(chart_dir() + "/crds/" + name), slurp(std::string(SLIME_SOURCE_DIR) + "/api/crds/" + name))
        << "charts/slime/crds/" << name << " differs from api/crds/: cp api/crds/" << name << " charts/slime/crds/";
}

// The chart's roles come from files/rbac.yaml, which must be what this build derives from the module
// contract (`slime boot rbac`), as deploy/rbac.yaml is.
TEST_F(Chart, RbacFileIsWhatSlimeDerives) {
  auto r = run_command(std::string(SLIME_BINARY_DIR) + "/bin/slime boot rbac");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(slurp(chart_dir() + "/files/rbac.yaml"), r.output)
      << "regenerate: build/bin/slime boot rbac > charts/slime/files/rbac.yaml";
}

// The release name only changes the roles' names, and the operator may bind exactly the release's roles.
TEST_F(Chart, RoleNamesFollowTheReleaseName) {
  auto docs = render("", "--set fullnameOverride=mesh");
  std::set<std::string> roles;
  for (const auto& r : of_kind(docs, "ClusterRole")) roles.insert(r["metadata"]["name"].get<std::string>());
  EXPECT_EQ(roles, (std::set<std::string>{"mesh-boot", "mesh-canary", "mesh-lazyload", "mesh-limiter", "mesh-plugin", "mesh-policy"}));
  EXPECT_EQ(one(docs, "ClusterRoleBinding")["roleRef"]["name"], "mesh-boot");
  int bind_rules = 0;
  for (const auto& role : of_kind(docs, "ClusterRole"))
    for (const auto& rule : role["rules"])
      if (rule.contains("resourceNames")) {
        ++bind_rules;
        for (const auto& n : rule["resourceNames"]) EXPECT_TRUE(roles.contains(n.get<std::string>())) << n;
      }
  EXPECT_EQ(bind_rules, 1);
}

// RBAC as sets: (kind, name) -> the (apiGroup, resource, verb) triples a role grants, or a binding's
// roleRef and subjects. Order, grouping of rules, labels and comments do not matter; what is granted does.
using Grants = std::map<std::string, std::set<std::string>>;
Grants rbac_of(const std::vector<Json>& docs) {
  Grants out;
  for (const auto& d : docs) {
    auto kind = d.value("kind", "");
    if (kind != "ClusterRole" && kind != "Role" && kind != "ClusterRoleBinding" && kind != "RoleBinding") continue;
    auto key = kind + " " + d["metadata"].value("namespace", "") + "/" + d["metadata"]["name"].get<std::string>();
    auto& set = out[key];
    if (kind.ends_with("Role")) {
      for (const auto& rule : d.value("rules", Json::array())) {
        auto list = [&](const char* f) { return rule.value(f, Json::array({""})); };
        for (const auto& g : list("apiGroups"))
          for (const auto& r : list("resources"))
            for (const auto& n : list("resourceNames"))
              for (const auto& v : list("verbs"))
                set.insert(g.get<std::string>() + "|" + r.get<std::string>() + "|" + n.get<std::string>() + "|" + v.get<std::string>());
        for (const auto& u : rule.value("nonResourceURLs", Json::array()))
          for (const auto& v : list("verbs")) set.insert("url|" + u.get<std::string>() + "|" + v.get<std::string>());
      }
      if (d.contains("aggregationRule")) set.insert("aggregation|" + d["aggregationRule"].dump());
    } else {
      set.insert("roleRef|" + d["roleRef"].value("kind", "") + "|" + d["roleRef"].value("name", ""));
      for (const auto& s : d.value("subjects", Json::array()))
        set.insert("subject|" + s.value("kind", "") + "|" + s.value("namespace", "") + "|" + s.value("name", ""));
    }
  }
  return out;
}

TEST_F(Chart, GrantsTheSameRbacAsDeploy) {
  std::vector<Json> deploy;
  for (const auto& e : fs::directory_iterator(std::string(SLIME_SOURCE_DIR) + "/deploy"))
    if (e.path().extension() == ".yaml")
      for (auto& d : yaml_documents(slurp(e.path()), e.path().string())) deploy.push_back(std::move(d));
  auto from_deploy = rbac_of(deploy);
  auto from_chart = rbac_of(render(""));
  ASSERT_FALSE(from_deploy.empty());
  for (const auto& [key, grants] : from_deploy) {
    ASSERT_TRUE(from_chart.contains(key)) << "the chart has no " << key;
    std::vector<std::string> missing, extra;
    std::set_difference(grants.begin(), grants.end(), from_chart[key].begin(), from_chart[key].end(), std::back_inserter(missing));
    std::set_difference(from_chart[key].begin(), from_chart[key].end(), grants.begin(), grants.end(), std::back_inserter(extra));
    EXPECT_TRUE(missing.empty() && extra.empty())
        << key << ": only deploy/ grants " << Json(missing).dump() << "; only the chart grants " << Json(extra).dump();
  }
  for (const auto& [key, grants] : from_chart) EXPECT_TRUE(from_deploy.contains(key)) << "deploy/ has no " << key;
}

TEST_F(Chart, RejectsInvalidValues) {
  struct Case {
    std::string set, expect;
  };
  for (const auto& c : std::vector<Case>{
           {"operator.replicas=3", "replicas"},                                   // a typo: not a value of this chart
           {"operator.logLevel=verbose", "logLevel"},                             // not a `slime run --log-level`
           {"operator.adminPort=70000", "adminPort"},                             // not a port
           {"operator.leaderElection.enabled=false", "leaderElection.enabled"},  // two active operators
           {"slimeBoot.enabled=true", "slimeBoot.module"},                        // a SlimeBoot without modules
       }) {
    auto r = helm("template slime " + chart_dir() + " -n " + kNamespace + " --set " + c.set);
    EXPECT_NE(r.status, 0) << c.set << ":\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.set << ":\n" << r.output;
  }
}

}  // namespace

// Faults of Slime's own process and of other writers (issue #13, point 8), on a real apiserver with the
// real `slime run`: the leader killed with SIGKILL while a standby waits, Slime killed with SIGKILL in the
// middle of writing hundreds of objects and started again after the cluster changed, and a second writer
// editing or deleting what Slime generated. The end states are compared exactly; times are printed.
#include <gtest/gtest.h>

#include "fault_support.h"
#include "slime_process.h"

namespace slime::testing::faults {
namespace {

EnvtestServer& server() { return *EnvtestServer::start_shared().value(); }

kube::Client client() { return kube::Client(kube::load_kubeconfig(server().kubeconfig()).value()); }

bool leading(SlimeProcess& p) {
  auto r = http_get(p.admin_port(), "/debug/config");
  return r.status == 200 && r.body.find("\"leading\": true") != std::string::npos;
}

std::string numbered(const std::string& prefix, int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", i);
  return prefix + buf;
}

TEST(FaultProcess, LeaderKilledStandbyTakesOverAndLosesNothing) {
  const std::string ns = "fault-leader";
  auto c = client();
  prepare(c, ns);
  Outputs want;
  for (int i = 1; i <= 20; ++i) {
    must(c.apply(smart_limiter(ns, numbered("l", i)), true, "fault-test"), "limiter");
    want.filters.insert(limiter_filter(ns, numbered("l", i)));
  }
  for (auto s : {"s1", "s2"}) must(c.apply(service(ns, s), true, "fault-test"), "service");
  add_fenced(want, {"s1", "s2"});

  // Short lease times keep the tier quick; takeover is bounded by the lease duration (the default 15 s
  // gives about 15 s more).
  auto args = slime_args(server().kubeconfig(), write_config(server().dir(), ns), ns,
                         {"--leader-elect", "on", "--leader-election-id", "fault-leader", "--leader-election-namespace",
                          ns, "--lease-duration", "8", "--renew-deadline", "6", "--retry-period", "1"});
  SlimeProcess a, b;
  a.start(args, server().dir() + "/" + ns + "-a.log");
  ASSERT_TRUE(wait_until([&] { return leading(a); }, std::chrono::seconds(30))) << a.log();
  ASSERT_TRUE(wait_until([&] { return outputs(c, ns) == want; }, std::chrono::seconds(60)))
      << describe(outputs(c, ns)) << "\n" << a.log();
  b.start(args, server().dir() + "/" + ns + "-b.log");
  ASSERT_TRUE(wait_until([&] { return http_get(b.admin_port(), "/readyz").status == 200; }, std::chrono::seconds(30)))
      << b.log();
  ASSERT_FALSE(leading(b)) << "two leaders";

  // The leader dies without releasing its lease; the cluster changes at that very moment.
  FirstTime b_leads([&] { return leading(b); });
  auto killed = Clock::now();
  a.kill_now(SIGKILL);
  ASSERT_TRUE(c.remove(kSmartLimiter, ns, "l001").has_value());
  must(c.apply(smart_limiter(ns, "l021"), true, "fault-test"), "limiter l021");
  want.filters.erase(limiter_filter(ns, "l001"));
  want.filters.insert(limiter_filter(ns, "l021"));

  ASSERT_TRUE(b_leads.wait(std::chrono::seconds(40))) << b.log();
  EXPECT_TRUE(wait_until([&] { return c.get(kEnvoyFilter, ns, limiter_filter(ns, "l021")).has_value(); },
                         std::chrono::seconds(30)))
      << b.log();
  double first_write = seconds_since(killed);
  EXPECT_TRUE(wait_until([&] { return outputs(c, ns) == want; }, std::chrono::seconds(30)))
      << describe(outputs(c, ns)) << "\n" << b.log();
  double converged = seconds_since(killed);
  EXPECT_EQ(missing(want, outputs(c, ns)), 0u) << describe(outputs(c, ns));
  figure("leader SIGKILL", "kill to standby leading (lease 8 s, retry 1 s)", b_leads.seconds_after(killed), "s");
  figure("leader SIGKILL", "kill to the new leader's first write of a change", first_write, "s");
  figure("leader SIGKILL", "kill to converged", converged, "s");
  EXPECT_EQ(b.kill_now(SIGTERM), 0) << b.log();
}

TEST(FaultProcess, KilledBetweenWritesThenRestartedCompleteAndNothingStale) {
  const std::string ns = "fault-kill";
  auto c = client();
  prepare(c, ns);
  constexpr int kLimiters = 200, kServices = 50;
  std::vector<Object> objects;
  Outputs all;
  for (int i = 0; i < kLimiters; ++i) {
    objects.push_back(smart_limiter(ns, numbered("k", i)));
    all.filters.insert(limiter_filter(ns, numbered("k", i)));
  }
  std::vector<std::string> services;
  for (int i = 0; i < kServices; ++i) services.push_back(numbered("w", i));
  for (auto& s : services) objects.push_back(service(ns, s));
  add_fenced(all, services);
  apply_parallel(server().kubeconfig(), objects);
  const size_t total = all.filters.size() + all.sidecars.size() + all.fences.size();

  fs::path config = write_config(server().dir(), ns);
  Outputs at_kill;
  {
    SlimeProcess first;
    first.start(slime_args(server().kubeconfig(), config, ns), server().dir() + "/" + ns + "-first.log");
    // Killed once a tenth of the objects, Sidecars among them, is written (or half, whichever kind came
    // first): the rest is cut short, some request maybe mid-flight.
    ASSERT_TRUE(wait_until(
        [&] {
          at_kill = outputs(c, ns);
          size_t n = at_kill.filters.size() + at_kill.sidecars.size() + at_kill.fences.size();
          return (n >= total / 10 && at_kill.sidecars.size() >= 5) || n >= total / 2;
        },
        std::chrono::seconds(60)))
        << first.log();
    first.kill_now(SIGKILL);
  }
  at_kill = outputs(c, ns);
  size_t written = at_kill.filters.size() + at_kill.sidecars.size() + at_kill.fences.size();
  figure("slime SIGKILL mid-write", "objects written before the kill", static_cast<double>(written), "");
  figure("slime SIGKILL mid-write", "objects to write in all", static_cast<double>(total), "");
  ASSERT_LT(written, total) << "slime finished before the kill: nothing was cut short";

  // While no Slime runs: limiters whose filters were written are deleted or switched off (their filters
  // are now stale), some not yet rendered are deleted, and Services whose Sidecars exist go away.
  Outputs want = all;
  int deleted = 0, switched_off = 0, unwritten_deleted = 0;
  std::string changes;  // for the failure message
  for (int i = 0; i < kLimiters; ++i) {
    std::string name = numbered("k", i);
    bool was_written = at_kill.filters.count(limiter_filter(ns, name)) > 0;
    if (was_written && deleted < 10) {
      ASSERT_TRUE(c.remove(kSmartLimiter, ns, name).has_value());
      ++deleted;
    } else if (was_written && switched_off < 10) {
      must(c.apply(smart_limiter(ns, name, "10", "false"), true, "fault-test"), "limiter off");
      ++switched_off;
    } else if (!was_written && unwritten_deleted < 10) {
      ASSERT_TRUE(c.remove(kSmartLimiter, ns, name).has_value());
      ++unwritten_deleted;
    } else {
      continue;
    }
    changes += name + " ";
    want.filters.erase(limiter_filter(ns, name));
  }
  int services_deleted = 0;
  for (auto& s : services)
    if (at_kill.sidecars.count(s) && services_deleted < 5) {
      ASSERT_TRUE(c.remove(kService, ns, s).has_value());
      want.sidecars.erase(s);
      want.fences.erase(s);
      ++services_deleted;
    }
  figure("slime SIGKILL mid-write", "stale objects left behind by the change",
         static_cast<double>(deleted + switched_off + 2 * services_deleted), "");

  SlimeProcess second;
  auto restarted = Clock::now();
  second.start(slime_args(server().kubeconfig(), config, ns), server().dir() + "/" + ns + "-second.log");
  bool converged = wait_until([&] { return outputs(c, ns) == want; }, std::chrono::seconds(40));
  double secs = seconds_since(restarted);
  Outputs got = outputs(c, ns);
  EXPECT_TRUE(converged) << "want " << describe(want) << "\ngot  " << describe(got) << "\nchanges " << changes << "\n"
                         << second.log();
  EXPECT_EQ(missing(want, got), 0u);
  figure("slime SIGKILL mid-write", "restart to complete and nothing stale", secs, "s");
  EXPECT_EQ(second.kill_now(SIGTERM), 0) << second.log();
}

TEST(FaultProcess, SecondWriterEditOrDeleteIsRestored) {
  const std::string ns = "fault-drift";
  auto c = client();
  prepare(c, ns);
  must(c.apply(smart_limiter(ns, "d1"), true, "fault-test"), "limiter");
  must(c.apply(envoy_plugin(ns, "dp"), true, "fault-test"), "plugin");
  must(c.apply(service(ns, "dw"), true, "fault-test"), "service");
  Outputs want{{limiter_filter(ns, "d1"), "dp"}, {"dw"}, {"dw"}};

  SlimeProcess slime;
  slime.start(slime_args(server().kubeconfig(), write_config(server().dir(), ns), ns), server().dir() + "/" + ns + ".log");
  ASSERT_TRUE(wait_until([&] { return outputs(c, ns) == want; }, std::chrono::seconds(60)))
      << describe(outputs(c, ns)) << "\n" << slime.log();
  auto spec_of = [&](const core::Gvk& gvk, const std::string& name) {
    auto o = c.get(gvk, ns, name);
    return o ? o->spec() : Json();
  };
  struct Target {
    core::Gvk gvk;
    std::string name;
    Json original;
  };
  std::vector<Target> targets{{kEnvoyFilter, limiter_filter(ns, "d1"), {}}, {kEnvoyFilter, "dp", {}}, {kSidecar, "dw", {}}};
  for (auto& t : targets) {
    t.original = spec_of(t.gvk, t.name);
    ASSERT_FALSE(t.original.is_null()) << t.name;
  }

  double worst = 0;
  // A merge patch (kubectl patch), a whole-object update (kubectl edit), a field Slime never sets added,
  // then a delete, on each object.
  for (int round = 0; round < 4; ++round)
    for (auto& t : targets) {
      auto started = Clock::now();
      if (round == 0) {
        Json patch = t.gvk.kind == "Sidecar" ? Json{{"spec", {{"egress", {{{"hosts", {"*/*"}}}}}}}}
                                             : Json{{"spec", {{"configPatches", Json::array()}}}};
        ASSERT_TRUE(c.merge_patch(t.gvk, ns, t.name, patch).has_value()) << t.name;
      } else if (round == 1) {
        auto live = c.get(t.gvk, ns, t.name);
        ASSERT_TRUE(live.has_value());
        // A value Slime sets, changed in place.
        Json& spec = live->json()["spec"];
        if (t.gvk.kind == "Sidecar") spec["egress"][0]["hosts"] = {"*/*"};
        else spec["configPatches"][0]["patch"]["operation"] = "REMOVE";
        ASSERT_TRUE(c.update(*live).has_value()) << t.name;
      } else if (round == 2) {
        // Fields the rendering does not have: under server-side apply they are the other writer's, so
        // Slime removes them explicitly (Istio kinds, whose spec it owns whole).
        Json patch = t.gvk.kind == "Sidecar"
                         ? Json{{"spec", {{"outboundTrafficPolicy", {{"mode", "REGISTRY_ONLY"}}}}}}
                         : Json{{"spec", {{"workloadSelector", {{"labels", {{"hijacked", "yes"}}}}}, {"priority", 7}}}};
        ASSERT_TRUE(c.merge_patch(t.gvk, ns, t.name, patch).has_value()) << t.name;
      } else {
        ASSERT_TRUE(c.remove(t.gvk, ns, t.name).has_value()) << t.name;
      }
      EXPECT_TRUE(wait_until([&] { return spec_of(t.gvk, t.name) == t.original; }, std::chrono::seconds(30)))
          << t.name << " round " << round << ": " << spec_of(t.gvk, t.name).dump() << "\n" << slime.log();
      double secs = seconds_since(started);
      worst = std::max(worst, secs);
      static const char* kHow[] = {"merge patch", "update", "added fields", "delete"};
      figure("second writer", std::string(kHow[round]) + " of " + t.gvk.kind + " " + t.name + " restored in", secs, "s");
    }
  figure("second writer", "slowest restore", worst, "s");
  EXPECT_EQ(outputs(c, ns), want) << describe(outputs(c, ns));
  // Restored, then quiet: no write loop against what the other writer left (e.g. its managedFields).
  auto writes = [&] {
    double n = 0;
    std::istringstream metrics(http_get(slime.admin_port(), "/metrics").body);
    for (std::string line; std::getline(metrics, line);)
      if (line.starts_with("slime_writes_total{")) n += std::stod(line.substr(line.rfind(' ') + 1));
    return n;
  };
  double before = writes();
  EXPECT_GT(before, 0) << "no slime_writes_total in /metrics";
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(writes(), before) << slime.log();
  EXPECT_EQ(slime.kill_now(SIGTERM), 0) << slime.log();
}

}  // namespace
}  // namespace slime::testing::faults

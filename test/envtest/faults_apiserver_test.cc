// Faults of the API server under a running `slime run` (issue #13, point 8): the apiserver Slime talks to
// restarts while a second apiserver on the same etcd (an HA control plane) takes writes, and a watch that
// resumes from a resourceVersion etcd has compacted (410 Gone). Slime must re-list, re-watch and end in
// exactly the state the resources ask for. Times are printed as figures, never asserted.
#include <gtest/gtest.h>

#include "fault_support.h"
#include "slime_process.h"

namespace slime::testing::faults {
namespace {

EnvtestServer& server() { return *EnvtestServer::start_shared().value(); }

kube::Client client(const std::string& kubeconfig) { return kube::Client(kube::load_kubeconfig(kubeconfig).value()); }

// The second apiserver once, on first use.
void ensure_second_apiserver() {
  static bool started = false;
  if (started) return;
  auto r = server().start_second_apiserver();
  ASSERT_TRUE(r.has_value()) << r.error().str();
  started = true;
}

bool slime_alive(SlimeProcess& p) { return http_get(p.admin_port(), "/readyz").status == 200; }

TEST(FaultApiserver, RestartMidRunConvergesOnChangesMadeWhileDownAndAfter) {
  const std::string ns = "fault-restart";
  auto c = client(server().kubeconfig());
  prepare(c, ns);
  for (auto s : {"a", "b", "c"}) must(c.apply(service(ns, s), true, "fault-test"), "service");
  must(c.apply(smart_limiter(ns, "a"), true, "fault-test"), "limiter a");
  must(c.apply(smart_limiter(ns, "b"), true, "fault-test"), "limiter b");
  must(c.apply(envoy_plugin(ns, "p1"), true, "fault-test"), "plugin p1");

  SlimeProcess slime;
  slime.start(slime_args(server().kubeconfig(), write_config(server().dir(), ns), ns), server().dir() + "/" + ns + ".log");
  Outputs want{{limiter_filter(ns, "a"), limiter_filter(ns, "b"), "p1"}, {}, {}};
  add_fenced(want, {"a", "b", "c"});
  ASSERT_TRUE(wait_until([&] { return outputs(c, ns) == want; }, std::chrono::seconds(60)))
      << describe(outputs(c, ns)) << "\n" << slime.log();

  // The apiserver Slime uses goes away; the cluster changes through the other one meanwhile: a limiter
  // deleted (its filter must go), one changed, one added, a plugin replaced, a Service added.
  ensure_second_apiserver();
  auto c2 = client(server().kubeconfig2());
  auto down = Clock::now();
  ASSERT_TRUE(server().stop_apiserver().has_value());
  ASSERT_TRUE(c2.remove(kSmartLimiter, ns, "a").has_value());
  must(c2.apply(smart_limiter(ns, "b", "20"), true, "fault-test"), "limiter b");
  must(c2.apply(smart_limiter(ns, "c"), true, "fault-test"), "limiter c");
  ASSERT_TRUE(c2.remove(kEnvoyPlugin, ns, "p1").has_value());
  must(c2.apply(envoy_plugin(ns, "p2"), true, "fault-test"), "plugin p2");
  must(c2.apply(service(ns, "d"), true, "fault-test"), "service d");
  want = {{limiter_filter(ns, "b"), limiter_filter(ns, "c"), "p2"}, {}, {}};
  add_fenced(want, {"a", "b", "c", "d"});
  // Slime reconnects while the apiserver is still starting (it serves before /readyz says ok), so both
  // moments are watched from other threads: the first answer of the restarted apiserver, and the end state
  // (read through the second apiserver).
  auto restart = Clock::now();
  FirstTime answering([&] { return c.get({"", "v1", "Namespace"}, "", ns).has_value(); });
  FirstTime converged([&] {
    return outputs(c2, ns) == want && tokens_per_fill(c2, ns, limiter_filter(ns, "b")) == 20;
  });
  auto r = server().start_apiserver();
  ASSERT_TRUE(r.has_value()) << r.error().str();
  double ready = seconds_since(restart);
  EXPECT_TRUE(converged.wait(std::chrono::seconds(60))) << describe(outputs(c, ns)) << "\n" << slime.log();
  ASSERT_TRUE(answering.wait(std::chrono::seconds(1)));
  EXPECT_EQ(missing(want, outputs(c, ns)), 0u);
  EXPECT_EQ(outputs(c, ns), want) << describe(outputs(c, ns));
  figure("apiserver restart", "apiserver down (stop, writes via the other apiserver)",
         std::chrono::duration<double>(restart - down).count(), "s");
  figure("apiserver restart", "apiserver start to /readyz", ready, "s");
  figure("apiserver restart", "apiserver start to its first answer", answering.seconds_after(restart), "s");
  figure("apiserver restart", "first answer to converged (slime's recovery)",
         converged.seconds_after(restart) - answering.seconds_after(restart), "s");

  // And it keeps watching: a change after the restart lands as usual.
  auto after = Clock::now();
  must(c.apply(envoy_plugin(ns, "p3"), true, "fault-test"), "plugin p3");
  want.filters.insert("p3");
  EXPECT_TRUE(wait_until([&] { return outputs(c, ns) == want; }, std::chrono::seconds(30))) << describe(outputs(c, ns));
  figure("apiserver restart", "change after restart applied in", seconds_since(after), "s");
  EXPECT_TRUE(slime_alive(slime)) << slime.log();
  EXPECT_EQ(slime.kill_now(SIGTERM), 0) << slime.log();
}

// A watch that resumes from a compacted resourceVersion gets 410 Gone; the informer must re-list and
// hand the difference (deletions included) to the controllers. The apiserver comes back with its watch
// cache off, so the resumed watches read etcd itself, which has been compacted past them.
TEST(FaultApiserver, WatchFromCompactedRevisionRelistsAndMissesNothing) {
  const std::string ns = "fault-expire";
  auto c = client(server().kubeconfig());
  prepare(c, ns);
  for (auto s : {"x1", "x2", "x3"}) must(c.apply(smart_limiter(ns, s), true, "fault-test"), "limiter");
  must(c.apply(envoy_plugin(ns, "q1"), true, "fault-test"), "plugin q1");
  must(c.apply(service(ns, "svc"), true, "fault-test"), "service");

  SlimeProcess slime;
  slime.start(slime_args(server().kubeconfig(), write_config(server().dir(), ns), ns, {"--log-level", "info"}),
              server().dir() + "/" + ns + ".log");
  Outputs want{{limiter_filter(ns, "x1"), limiter_filter(ns, "x2"), limiter_filter(ns, "x3"), "q1"}, {}, {}};
  add_fenced(want, {"svc"});
  ASSERT_TRUE(wait_until([&] { return outputs(c, ns) == want; }, std::chrono::seconds(60)))
      << describe(outputs(c, ns)) << "\n" << slime.log();

  ensure_second_apiserver();
  auto c2 = client(server().kubeconfig2());
  ASSERT_TRUE(server().stop_apiserver().has_value());
  ASSERT_TRUE(c2.remove(kSmartLimiter, ns, "x1").has_value());
  must(c2.apply(smart_limiter(ns, "x2", "30"), true, "fault-test"), "limiter x2");
  must(c2.apply(smart_limiter(ns, "x4"), true, "fault-test"), "limiter x4");
  ASSERT_TRUE(c2.remove(kEnvoyPlugin, ns, "q1").has_value());
  must(c2.apply(envoy_plugin(ns, "q2"), true, "fault-test"), "plugin q2");
  // Everything Slime has seen is now older than etcd's compaction point.
  long rev = etcd_revision(server().etcd_url());
  ASSERT_GT(rev, 0);
  ASSERT_TRUE(etcd_compact(server().etcd_url(), rev));
  ASSERT_TRUE(etcd_compacted(server().etcd_url(), rev - 1));
  want = {{limiter_filter(ns, "x2"), limiter_filter(ns, "x3"), limiter_filter(ns, "x4"), "q2"}, {}, {}};
  add_fenced(want, {"svc"});
  auto restart = Clock::now();
  FirstTime answering([&] { return c.get({"", "v1", "Namespace"}, "", ns).has_value(); });
  FirstTime converged([&] {
    return outputs(c2, ns) == want && tokens_per_fill(c2, ns, limiter_filter(ns, "x2")) == 30;
  });
  auto r = server().start_apiserver("--watch-cache=false");
  ASSERT_TRUE(r.has_value()) << r.error().str();
  EXPECT_TRUE(converged.wait(std::chrono::seconds(60))) << describe(outputs(c, ns)) << "\n" << slime.log();
  ASSERT_TRUE(answering.wait(std::chrono::seconds(1)));
  EXPECT_EQ(missing(want, outputs(c, ns)), 0u);
  EXPECT_EQ(outputs(c, ns), want) << describe(outputs(c, ns));
  figure("watch expired (410)", "first answer to converged (slime's recovery)",
         converged.seconds_after(restart) - answering.seconds_after(restart), "s");
  // The 410 path, not a lucky watch: the informers said their resourceVersion expired and re-listed.
  std::string log = slime.log();
  EXPECT_NE(log.find("informer resourceVersion expired, relisting"), std::string::npos) << log;
  size_t relisted = 0;
  for (size_t at = 0; (at = log.find("informer resourceVersion expired", at)) != std::string::npos; ++at) ++relisted;
  figure("watch expired (410)", "informers that got 410 and re-listed", static_cast<double>(relisted), "");
  EXPECT_TRUE(slime_alive(slime)) << log;
  EXPECT_EQ(slime.kill_now(SIGTERM), 0) << slime.log();

  // Back to the usual apiserver for whatever runs next.
  ASSERT_TRUE(server().restart_apiserver().has_value());
}

}  // namespace
}  // namespace slime::testing::faults

// `slime run --kubeconfig` processes on a real apiserver: readiness, and two replicas with leader
// election: exactly one leads (Lease holder, slime.io/leader pod label); after the leader is killed
// (SIGKILL: no release) the standby takes over within 15 s; a SIGTERMed leader hands over at once.
#include <gtest/gtest.h>

#include "envtest_server.h"
#include "slime/kube/cluster_config.h"
#include "slime_process.h"

namespace slime::testing {
namespace {

using core::Object;

EnvtestServer& server() { return *EnvtestServer::start_shared().value(); }

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

bool leading(SlimeProcess& p) {
  auto r = http_get(p.admin_port(), "/debug/config");
  return r.status == 200 && r.body.find("\"leading\": true") != std::string::npos;
}

std::vector<std::string> args() {
  return {"run", "--kubeconfig", server().kubeconfig(), "--admin-addr", "127.0.0.1:0", "--als-addr", "off", "--leader-elect", "on",
          "--leader-election-id", "slime-e2e", "--lease-duration", "10", "--renew-deadline", "7", "--retry-period", "1"};
}

TEST(SlimeRun, ReadyOnARealApiserver) {
  SlimeProcess p;
  p.start({"run", "--kubeconfig", server().kubeconfig(), "--admin-addr", "127.0.0.1:0", "--als-addr", "off"}, server().dir() + "/single.log");
  ASSERT_NE(p.admin_port(), 0) << p.log();
  ASSERT_TRUE(eventually([&] { return http_get(p.admin_port(), "/readyz").status == 200; }, std::chrono::seconds(20)))
      << p.log();
  EXPECT_NE(http_get(p.admin_port(), "/metrics").body.find("slime_ready 1"), std::string::npos);
  EXPECT_EQ(p.kill_now(SIGTERM), 0) << p.log();
}

TEST(SlimeRun, TwoReplicasOneLeaderAndFailover) {
  kube::Client c(kube::load_kubeconfig(server().kubeconfig()).value());
  for (auto n : {"slime-a", "slime-b"}) {
    Object pod("v1", "Pod", "default", n);
    pod.json()["spec"] = {{"containers", {{{"name", "slime"}, {"image", "slime:test"}}}}};
    ASSERT_TRUE(c.apply(pod).has_value());
  }
  SlimeProcess a, b;
  a.start(args(), server().dir() + "/a.log", {{"POD_NAME", "slime-a"}, {"POD_NAMESPACE", "default"}});
  ASSERT_TRUE(eventually([&] { return leading(a); }, std::chrono::seconds(20))) << a.log();
  b.start(args(), server().dir() + "/b.log", {{"POD_NAME", "slime-b"}, {"POD_NAMESPACE", "default"}});
  ASSERT_TRUE(eventually([&] { return http_get(b.admin_port(), "/readyz").status == 200; }, std::chrono::seconds(20)))
      << b.log();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_TRUE(leading(a));
  EXPECT_FALSE(leading(b)) << "two leaders";
  EXPECT_EQ(c.get({"", "v1", "Pod"}, "default", "slime-a")->label("slime.io/leader"), "true");
  EXPECT_EQ(c.get({"", "v1", "Pod"}, "default", "slime-b")->label("slime.io/leader"), "");

  auto killed = std::chrono::steady_clock::now();
  a.kill_now(SIGKILL);
  ASSERT_TRUE(eventually([&] { return leading(b); }, std::chrono::seconds(15))) << b.log();
  std::cout << "standby took over " << std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count()
            << " s after SIGKILL of the leader\n";
  EXPECT_TRUE(eventually([&] { return c.get({"", "v1", "Pod"}, "default", "slime-b")->label("slime.io/leader") == "true"; },
                         std::chrono::seconds(5)));

  // A new replica, then a graceful stop of the leader: the lease is released and taken at once.
  SlimeProcess a2;
  a2.start(args(), server().dir() + "/a2.log", {{"POD_NAME", "slime-a"}, {"POD_NAMESPACE", "default"}});
  ASSERT_TRUE(eventually([&] { return http_get(a2.admin_port(), "/readyz").status == 200; }, std::chrono::seconds(20)));
  auto stopped = std::chrono::steady_clock::now();
  EXPECT_EQ(b.kill_now(SIGTERM), 0) << b.log();
  ASSERT_TRUE(eventually([&] { return leading(a2); }, std::chrono::seconds(5))) << a2.log();
  std::cout << "handover after SIGTERM took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count()
            << " s\n";
  EXPECT_EQ(c.get({"", "v1", "Pod"}, "default", "slime-b")->label("slime.io/leader"), "");
}

}  // namespace
}  // namespace slime::testing

// `slime run --state-dir` as a user starts it: a real process with the admin endpoint on loopback,
// stopped with SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "envtest/slime_process.h"  // runs the slime binary (header-only; needs no apiserver)

#ifndef SLIME_BINARY_DIR
#error "SLIME_BINARY_DIR must be defined"
#endif

namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

struct Reply {
  int status = 0;
  std::string body;
};

Reply request(int port, http::verb verb, const std::string& target) {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket sock(io);
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(sock, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> resp;
    http::read(sock, buf, resp);
    return {static_cast<int>(resp.result_int()), resp.body()};
  } catch (const std::exception&) {
    return {};
  }
}

using slime::testing::slurp;

TEST(SlimeRunCli, ServesAdminEndpointsAndStopsOnSigterm) {
  char tmpl[] = "/tmp/slime-run-cli-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  fs::path dir = tmpl;
  std::ofstream(dir / "app.yaml") << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n";
  std::ofstream(dir / "broken.yaml") << "kind: [\n";
  fs::path log = dir.string() + ".log";

  slime::testing::SlimeProcess slime;
  slime.start({"run", "--state-dir", dir.string(), "--admin-addr", "127.0.0.1:0", "--als-addr", "off"}, log);
  int port = slime.admin_port();
  ASSERT_NE(port, 0) << slurp(log);
  Reply ready;
  for (int i = 0; i < 200 && ready.status != 200; ++i) {
    ready = request(port, http::verb::get, "/readyz");
    if (ready.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(request(port, http::verb::get, "/healthz").status, 200);
  EXPECT_EQ(request(port, http::verb::get, "/modules/readyz").status, 200);
  auto metrics = request(port, http::verb::get, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("slime_ready 1"), std::string::npos) << metrics.body;
  auto cfg = request(port, http::verb::get, "/debug/config");
  EXPECT_EQ(cfg.status, 200);
  EXPECT_NE(cfg.body.find("\"loadErrors\""), std::string::npos);
  EXPECT_NE(cfg.body.find("broken.yaml"), std::string::npos) << cfg.body;
  EXPECT_EQ(request(port, http::verb::post, "/debug/loglevel?level=debug").body, "debug\n");
  EXPECT_EQ(request(port, http::verb::post, "/debug/loglevel?level=nonsense").status, 400);
  // State changes only by POST (issue #13): a PUT is refused and changes nothing.
  EXPECT_EQ(request(port, http::verb::put, "/debug/loglevel?level=info").status, 405);
  EXPECT_EQ(request(port, http::verb::get, "/debug/loglevel").body, "debug\n");
  EXPECT_EQ(request(port, http::verb::get, "/nope").status, 404);

  EXPECT_EQ(slime.kill_now(SIGTERM), 0) << "no clean exit on SIGTERM\n" << slurp(log);
  fs::remove_all(dir);
  fs::remove(log);
}

// A configuration naming a module kind this build lacks must never look like a healthy pod doing
// nothing: the process runs what it has, and /readyz answers 503 naming what is missing.
TEST(SlimeRunCli, AModuleKindTheBuildLacksKeepsTheProcessNotReady) {
  char tmpl[] = "/tmp/slime-run-missing-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  fs::path dir = tmpl;
  fs::path state = dir / "state";
  fs::create_directories(state);
  std::ofstream(dir / "config.yaml") << "module:\n- {name: limiter, kind: limiter, enable: true}\n"
                                        "- {name: meshregistry, kind: meshregistry, enable: true}\n";
  fs::path log = dir / "slime.log";
  slime::testing::SlimeProcess slime;
  slime.start({"run", "--state-dir", state.string(), "--config", (dir / "config.yaml").string(), "--admin-addr",
               "127.0.0.1:0", "--als-addr", "off"},
              log);
  int port = slime.admin_port();
  ASSERT_NE(port, 0) << slurp(log);
  // Wait until the caches are synced (the metrics say so); readiness must still fail.
  for (int i = 0; i < 200; ++i) {
    if (request(port, http::verb::get, "/metrics").body.find("slime_ready 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  auto ready = request(port, http::verb::get, "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("module kind 'meshregistry' is not part of this build"), std::string::npos) << ready.body;
  EXPECT_EQ(request(port, http::verb::get, "/modules/readyz").status, 503);
  EXPECT_EQ(request(port, http::verb::get, "/healthz").status, 200);  // alive: a restart would not help
  EXPECT_NE(request(port, http::verb::get, "/debug/config").body.find("meshregistry"), std::string::npos);
  slime.kill_now(SIGTERM);
  EXPECT_NE(slurp(log).find("meshregistry"), std::string::npos);
  fs::remove_all(dir);
}

TEST(SlimeRunCli, RefusesAMissingStateDirAndABadAdminAddress) {
  std::string bin = std::string(SLIME_BINARY_DIR) + "/bin/slime";
  EXPECT_NE(std::system((bin + " run --state-dir /nonexistent/dir --admin-addr 127.0.0.1:0 >/dev/null 2>&1").c_str()), 0);
  EXPECT_NE(std::system((bin + " run --state-dir /tmp --admin-addr nonsense >/dev/null 2>&1").c_str()), 0);
}

}  // namespace

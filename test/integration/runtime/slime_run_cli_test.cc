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

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SlimeRunCli, ServesAdminEndpointsAndStopsOnSigterm) {
  char tmpl[] = "/tmp/slime-run-cli-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  fs::path dir = tmpl;
  std::ofstream(dir / "app.yaml") << "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n";
  std::ofstream(dir / "broken.yaml") << "kind: [\n";
  fs::path log = dir.string() + ".log";

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    dup2(fileno(stderr), fileno(stdout));
    std::string bin = std::string(SLIME_BINARY_DIR) + "/bin/slime";
    execl(bin.c_str(), "slime", "run", "--state-dir", dir.c_str(), "--admin-addr", "127.0.0.1:0", "--als-addr", "off", nullptr);
    _exit(127);
  }
  int port = 0;
  std::regex port_re("port=([0-9]+)");
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::smatch m;
    std::string text = slurp(log);
    if (std::regex_search(text, m, port_re)) port = std::stoi(m[1]);
    else std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
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

  kill(pid, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (i == 99) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      FAIL() << "slime run did not stop on SIGTERM";
    }
  }
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << slurp(log);
  fs::remove_all(dir);
  fs::remove(log);
}

TEST(SlimeRunCli, RefusesAMissingStateDirAndABadAdminAddress) {
  std::string bin = std::string(SLIME_BINARY_DIR) + "/bin/slime";
  EXPECT_NE(std::system((bin + " run --state-dir /nonexistent/dir --admin-addr 127.0.0.1:0 >/dev/null 2>&1").c_str()), 0);
  EXPECT_NE(std::system((bin + " run --state-dir /tmp --admin-addr nonsense >/dev/null 2>&1").c_str()), 0);
}

}  // namespace

#pragma once
// Runs the `slime` binary as a child process (as a user or a Deployment would) and talks to its
// admin endpoint. Header-only: shared by the envtest programs that need it.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace slime::testing {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct HttpReply {
  int status = 0;
  std::string body;
};

// One HTTP/1.1 request to 127.0.0.1:port; status 0 when it could not be made.
inline HttpReply http_call(int port, boost::beast::http::verb verb, const std::string& target,
                           const std::string& body = {}, const std::string& content_type = {}) {
  namespace http = boost::beast::http;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket sock(io);
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    if (!body.empty() || verb == http::verb::post) {
      req.body() = body;
      req.prepare_payload();
    }
    http::write(sock, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> resp;
    http::read(sock, buf, resp);
    return {static_cast<int>(resp.result_int()), resp.body()};
  } catch (const std::exception&) {
    return {};
  }
}

inline HttpReply http_get(int port, const std::string& target) {
  return http_call(port, boost::beast::http::verb::get, target);
}

class SlimeProcess {
 public:
  SlimeProcess() = default;
  SlimeProcess(const SlimeProcess&) = delete;
  ~SlimeProcess() { kill_now(SIGTERM); }

  void start(const std::vector<std::string>& args, const std::filesystem::path& log,
             const std::map<std::string, std::string>& env = {}) {
    log_ = log;
    pid_ = fork();
    if (pid_ == 0) {
      // Dies with the test program even when that is killed outright (a CTest timeout): no slime outlives it.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      FILE* f = std::freopen(log.c_str(), "w", stderr);
      (void)f;
      dup2(fileno(stderr), fileno(stdout));
      for (auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::string bin = std::string(SLIME_BINARY_DIR) + "/bin/slime";
      std::vector<std::string> all{"slime"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
  }

  // The admin port from the log ("port=N"), waiting up to 10 s.
  int admin_port() {
    if (port_) return port_;
    std::regex re("port=([0-9]+)");
    for (int i = 0; i < 400 && !port_; ++i) {
      std::smatch m;
      std::string text = slurp(log_);
      if (std::regex_search(text, m, re)) port_ = std::stoi(m[1]);
      else std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return port_;
  }

  // Sends sig and waits up to 20 s (then SIGKILL). Returns the exit status, -1 if killed. Generous because
  // a graceful stop waits for in-flight API calls, which a loaded CI machine can hold for seconds.
  int kill_now(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    bool exited = false;
    for (int i = 0; i < 400; ++i) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!exited) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string log() const { return slurp(log_); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_;
};

}  // namespace slime::testing

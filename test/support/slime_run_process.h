#pragma once
// `slime run --state-dir DIR --config FILE` as a child process for integration tests, its stdout and
// stderr in a log file; stopped with SIGTERM (SIGKILL after 20 s) on destruction.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace slime::testing {

class SlimeRunProcess {
 public:
  SlimeRunProcess() = default;
  SlimeRunProcess(const SlimeRunProcess&) = delete;
  SlimeRunProcess& operator=(const SlimeRunProcess&) = delete;
  ~SlimeRunProcess() { stop(); }

  // `binary` is the slime executable. False when fork failed.
  bool start(const std::string& binary, const std::string& state_dir, const std::string& config, const std::string& log) {
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "w", stderr);
      (void)f;
      dup2(fileno(stderr), fileno(stdout));
      execl(binary.c_str(), "slime", "run", "--state-dir", state_dir.c_str(), "--config", config.c_str(),
            "--admin-addr", "", "--als-addr", "off", nullptr);
      _exit(127);
    }
    return true;
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 400 && waitpid(pid_, &status, WNOHANG) != pid_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, WNOHANG);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace slime::testing

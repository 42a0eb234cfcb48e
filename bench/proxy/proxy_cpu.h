#pragma once
// CPU accounting for the proxy benchmarks: the proxy's I/O threads (named slime-proxy) vs the rest of the
// process, from /proc. Less dependent on how busy the shared machine is than throughput figures.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

// CPU seconds (user + system) used so far by this process, split into the proxy's I/O threads (named
// slime-proxy) and the rest (the backend). Less dependent on how busy the shared machine is than req/s.
struct CpuSplit {
  double proxy = 0, other = 0;
};
// Calls fn(tid, "/proc/self/task/<tid>/") for every thread of this process.
template <typename Fn>
void for_each_thread(Fn&& fn) {
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return;
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') fn(static_cast<pid_t>(std::atoi(e->d_name)), std::string("/proc/self/task/") + e->d_name + "/");
  ::closedir(d);
}

inline CpuSplit cpu_now() {
  CpuSplit c;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for_each_thread([&](pid_t, const std::string& dir) {
    std::ifstream f(dir + "stat");
    std::string line;
    std::getline(f, line);
    auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) return;
    std::string comm = line.substr(open + 1, close - open - 1);
    // Fields after ") ": state(3) ... utime(14) stime(15).
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double ut = 0, st = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) ut = std::stod(field);
      if (i == 15) st = std::stod(field);
    }
    if (comm == "slime-proxy") c.proxy += (ut + st) / tick;
  });
  // Threads that ended (the backend's per-connection threads) count in the process total only.
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  c.other = secs(ru.ru_utime) + secs(ru.ru_stime) - c.proxy;
  return c;
}


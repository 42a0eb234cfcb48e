#pragma once
// Memory figures the benchmarks print, from /proc (Linux): the resident set now, and its peak since a
// reset. -1 where /proc does not say.
#include <unistd.h>

#include <cstdio>

namespace slime::bench {

// Linux keeps a resettable high-water mark (VmHWM): the peak since reset_peak_rss(), -1 when unavailable.
inline void reset_peak_rss() {
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}
inline long peak_rss_since_reset_mib() {
  long kib = -1;
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
    std::fclose(f);
  }
  return kib < 0 ? -1 : kib / 1024;
}

// Resident set now (not the peak), from /proc/self/statm; -1 when unavailable.
inline long rss_now_mib() {
  long pages = -1, resident = -1;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    std::fclose(f);
  }
  return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

}  // namespace slime::bench

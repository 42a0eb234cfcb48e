#pragma once
// A tiny HTTP server on loopback that serves /metrics (Prometheus text format) for tests; the body can
// be changed at any time. One thread, blocking sockets with a poll timeout so that stop() is prompt.
#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace slime::testing {

class TestExporter {
 public:
  TestExporter();
  ~TestExporter();
  bool ok() const { return fd_ >= 0; }
  int port() const { return port_; }
  void set_body(std::string body);
  int scrapes() const { return scrapes_.load(); }

 private:
  void serve();
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> scrapes_{0};
  std::mutex mutex_;
  std::string body_;
  std::thread thread_;
};

}  // namespace slime::testing

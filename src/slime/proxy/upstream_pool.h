#pragma once
// Idle upstream HTTP/1.1 connections kept for reuse, per dialled ip:port. A connection is taken out while
// a request uses it and given back only when its response ended cleanly on a keep-alive connection.
// Sockets that the upstream closed while idle are noticed on take (a non-blocking peek) and dropped.
#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "slime/proxy/asio.h"

namespace slime::proxy {

// An idle HTTP/1.1 connection must have nothing to read: EOF means the upstream closed it, data means it
// sent something unsolicited. Either way it cannot carry a new request. One non-blocking peek.
bool idle_socket_usable(tcp::socket& s);

class UpstreamPool {
 public:
  UpstreamPool(size_t max_idle_per_host, std::chrono::milliseconds idle_timeout)
      : max_idle_(max_idle_per_host), idle_timeout_(idle_timeout) {}

  std::optional<tcp::socket> take(const std::string& key);
  void give_back(const std::string& key, tcp::socket socket);
  // Closes connections idle for longer than the idle timeout; called periodically.
  void sweep();
  size_t idle() const;

 private:
  struct Idle {
    tcp::socket socket;
    std::chrono::steady_clock::time_point since;
  };
  size_t max_idle_;
  std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<Idle>> idle_;
  size_t count_ = 0;
};

}  // namespace slime::proxy

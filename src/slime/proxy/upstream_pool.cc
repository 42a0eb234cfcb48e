#include "slime/proxy/upstream_pool.h"

#include <sys/socket.h>

namespace slime::proxy {
bool idle_socket_usable(tcp::socket& s) {
  char c;
  ssize_t n = ::recv(s.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::optional<tcp::socket> UpstreamPool::take(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = idle_.find(key);
  if (it == idle_.end()) return std::nullopt;
  auto& q = it->second;
  auto now = std::chrono::steady_clock::now();
  while (!q.empty()) {
    Idle entry = std::move(q.back());  // most recently used first: the likeliest to be alive
    q.pop_back();
    --count_;
    if (now - entry.since < idle_timeout_ && idle_socket_usable(entry.socket)) {
      if (q.empty()) idle_.erase(it);
      return std::move(entry.socket);
    }
    error_code ignored;
    entry.socket.close(ignored);
  }
  idle_.erase(it);
  return std::nullopt;
}

void UpstreamPool::give_back(const std::string& key, tcp::socket socket) {
  std::lock_guard lock(mu_);
  auto& q = idle_[key];
  if (q.size() >= max_idle_) {
    error_code ignored;
    q.front().socket.close(ignored);
    q.pop_front();
    --count_;
  }
  q.push_back({std::move(socket), std::chrono::steady_clock::now()});
  ++count_;
}

void UpstreamPool::sweep() {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& q = it->second;
    while (!q.empty() && now - q.front().since >= idle_timeout_) {
      error_code ignored;
      q.front().socket.close(ignored);
      q.pop_front();
      --count_;
    }
    it = q.empty() ? idle_.erase(it) : std::next(it);
  }
}

size_t UpstreamPool::idle() const {
  std::lock_guard lock(mu_);
  return count_;
}

}  // namespace slime::proxy

#pragma once
// A free loopback port for a test to hand to a server it starts later.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>

namespace slime::testing {

// Picked below the ephemeral range (32768+ on Linux): a port picked there can be taken by any outgoing
// connection (another test's, or one to the API server) before the server binds it. 0 when none is free.
inline uint16_t free_port_below_ephemeral() {
  static std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto port = static_cast<uint16_t>(std::uniform_int_distribution<int>(20000, 32000)(rng));
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (free) return port;
  }
  return 0;
}

}  // namespace slime::testing

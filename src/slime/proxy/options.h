#pragma once
// Everything `slime proxy` can be told. Defaults follow the original Go proxy where it had a number
// (§9: keep-alive 30 s, 100 idle upstream connections, 90 s idle timeout) and are bounded everywhere else.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "slime/proxy/routing/destination.h"

namespace slime::proxy {

using namespace std::chrono_literals;

// One forwarded call, as reported to the learning loop (and logged).
struct CallRecord {
  std::string source_ip;  // downstream peer, or the first X-Forwarded-For hop when trusted
  uint16_t source_port = 0;
  uint16_t listen_port = 0;
  std::string authority;  // Host as forwarded (short names expanded)
  std::string path;
  unsigned status = 0;    // the response status (an h2 stream's :status)
  bool h2 = false;
  bool tcp = false;       // a relayed TCP connection (--tcp-listen): authority is the Service's name:port
};

struct ProxyOptions {
  std::vector<std::string> listen = {"0.0.0.0:80"};  // "host:port"; port 0 picks a free one
  std::string probe_addr;                            // empty: no probe listener
  std::string dynamic_listen_host = "0.0.0.0";       // where wormhole-port listeners bind
  // TCP listeners whose connections start with a PROXY protocol header (TCP lazy loading).
  std::vector<std::string> tcp_listen;
  DestinationRules rules;
  bool trust_forwarded_for = false;
  int threads = 1;

  size_t max_header_bytes = 64 * 1024;
  uint64_t max_body_bytes = 64ull * 1024 * 1024;  // request bodies; responses are streamed without a limit
  size_t max_connections = 10000;                 // downstream; further accepts wait
  size_t max_idle_upstream_per_host = 100;

  std::chrono::milliseconds connect_timeout = 10s;
  std::chrono::milliseconds header_timeout = 30s;   // a request head must arrive within this (slow clients)
  std::chrono::milliseconds idle_timeout = 90s;     // keep-alive downstream and pooled upstream connections
  std::chrono::milliseconds response_timeout = 0s;  // 0: none (the original routes with timeout 0s)
  std::chrono::milliseconds tunnel_idle_timeout = 3600s;  // h2c and upgraded connections
  std::chrono::milliseconds body_idle_timeout = 300s;     // no byte of a streaming body for this long
  std::chrono::milliseconds proxy_header_timeout = 5s;    // a TCP connection's PROXY header must arrive within this
  std::chrono::milliseconds tcp_idle_timeout = 3600s;     // no byte either way (Envoy's tcp_proxy default)

  std::function<void(const CallRecord&)> on_call;  // called on an I/O thread: must not block
};

}  // namespace slime::proxy

#pragma once
// Where a request goes (spec §6.6, per request), and whether it may go there at all. Pure: the HTTP/1.1
// and h2c paths both call it with the few headers that matter, then dial what it returns.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "slime/proxy/routing/mesh_index.h"

namespace slime::proxy {

struct DestinationRules {
  // WORMHOLE_PORT_PRIOR_TO_HOST_PORT: dial the listener's port instead of the Host's port.
  bool wormhole_port_priority = false;
  // Without a service list, forward to any host and port (--allow-any-destination: an open relay, only for
  // trusted setups such as local tests). Off: without a mesh every request is refused.
  bool allow_any_destination = false;
  // The proxy's own listening endpoints (to refuse loops): ports bound, and addresses of this host.
  std::vector<uint16_t> own_ports;
  std::vector<std::string> own_ips;  // besides loopback and the unspecified addresses
};

struct RequestFacts {
  std::string_view host;         // Host / :authority
  std::string_view orig_dest;    // Slime-Orig-Dest, empty when absent
  std::string_view source_ns;    // Slime-Source-Ns, empty when absent
  bool has_orig_dest = false;
  bool has_source_ns = false;
  std::string_view target;       // request-target (HTTP/1.1), to catch absolute-form
  std::string_view method;
  uint16_t listen_port = 80;
};

struct Destination {
  std::string host_header;  // Host to send (short names expanded)
  std::string dial_host;    // an IP, or a name to resolve (only without a mesh index)
  uint16_t dial_port = 0;
  std::string origin_target;  // request-target rewritten to origin-form when it was absolute-form
  const ServiceEntry* service = nullptr;  // the mesh Service addressed by name, when known

  // "dial_host:dial_port": what upstream connections are keyed by, and how failures name the upstream.
  std::string dial_address() const { return dial_host + ":" + std::to_string(dial_port); }
};

struct Refusal {
  int status = 400;
  std::string reason;
};

// `mesh` null: no service list; every request is refused (503) unless `rules.allow_any_destination`.
// With a mesh: the dial target (Slime-Orig-Dest, else Host) must pass MeshIndex::resolve — a mesh Service
// or one of its addresses, on a port the Service declares; never default/kubernetes nor this proxy.
struct ResolveResult {
  std::optional<Destination> dest;
  Refusal refusal;
};
ResolveResult resolve_destination(const RequestFacts& req, const DestinationRules& rules, const MeshIndex* mesh,
                                  uint64_t pick = 0);

// Splits "host:port" at the last colon ("[v6]:port" too). No port: port is empty.
struct HostPort {
  std::string_view host;
  std::string_view port;
  bool has_port = false;
};
HostPort split_host_port(std::string_view authority);
std::optional<uint16_t> parse_port(std::string_view s);

}  // namespace slime::proxy

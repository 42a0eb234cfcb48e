#include "slime/proxy/routing/destination.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace slime::proxy {

HostPort split_host_port(std::string_view a) {
  HostPort out;
  if (!a.empty() && a.front() == '[') {
    auto close = a.find(']');
    if (close != std::string_view::npos) {
      out.host = a.substr(1, close - 1);
      if (close + 1 < a.size() && a[close + 1] == ':') {
        out.port = a.substr(close + 2);
        out.has_port = true;
      }
      return out;
    }
  }
  auto colon = a.rfind(':');
  if (colon == std::string_view::npos) {
    out.host = a;
    return out;
  }
  out.host = a.substr(0, colon);
  out.port = a.substr(colon + 1);
  out.has_port = true;
  return out;
}

std::optional<uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

namespace {

bool is_self_ip(std::string_view ip, const DestinationRules& rules) {
  if (ip == "0.0.0.0" || ip == "::" || ip == "::1" || ip.starts_with("127.")) return true;
  return std::ranges::find(rules.own_ips, ip) != rules.own_ips.end();
}

bool is_loop(std::string_view ip, uint16_t port, const DestinationRules& rules) {
  return is_self_ip(ip, rules) && std::ranges::find(rules.own_ports, port) != rules.own_ports.end();
}

// RFC 3986 authority characters (reg-name or IP literal, optional port). Anything else in Host (spaces,
// '/', '@', controls, non-ASCII) cannot name a mesh destination and would be copied into the upstream head.
bool valid_authority(std::string_view a) {
  for (unsigned char c : a) {
    if (std::isalnum(c)) continue;
    if (std::string_view("-._~!$&'()*+,;=:[]%").find(static_cast<char>(c)) == std::string_view::npos) return false;
  }
  return true;
}

// A Kubernetes namespace is a DNS label.
bool valid_namespace(std::string_view ns) {
  if (ns.empty() || ns.size() > 63) return false;
  for (unsigned char c : ns)
    if (!(std::islower(c) || std::isdigit(c) || c == '-')) return false;
  return true;
}

ResolveResult refuse(int status, std::string reason) { return {std::nullopt, Refusal{status, std::move(reason)}}; }

int status_of(MeshRefusal::Kind kind) { return kind == MeshRefusal::Kind::kNoEndpoints ? 503 : 403; }

}  // namespace

ResolveResult resolve_destination(const RequestFacts& req, const DestinationRules& rules, const MeshIndex* mesh,
                                  uint64_t pick) {
  if (req.method == "CONNECT") return refuse(405, "CONNECT is not supported: this proxy only forwards mesh HTTP calls");
  if (req.host.empty()) return refuse(400, "missing Host header");
  if (!valid_authority(req.host)) return refuse(400, "invalid Host header: not a host[:port]");
  if (req.has_orig_dest && !valid_authority(req.orig_dest))
    return refuse(400, "invalid header Slime-Orig-Dest: not an address:port");
  if (req.has_source_ns && !req.source_ns.empty() && !valid_namespace(req.source_ns))
    return refuse(400, "invalid header Slime-Source-Ns: not a namespace name");

  Destination d;
  std::string_view host_header = req.host;
  // Absolute-form ("GET http://h/p") is only accepted for the Host it names itself; anything else would make
  // this an open forward proxy.
  if (!req.target.empty() && req.target.front() != '/' && req.target != "*") {
    auto scheme_end = req.target.find("://");
    if (scheme_end == std::string_view::npos) return refuse(400, "invalid request-target");
    auto rest = req.target.substr(scheme_end + 3);
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    auto strip = [](std::string_view a) { return split_host_port(a).host; };
    std::string lhs(strip(authority)), rhs(strip(req.host));
    std::ranges::transform(lhs, lhs.begin(), ::tolower);
    std::ranges::transform(rhs, rhs.begin(), ::tolower);
    if (lhs != rhs) return refuse(403, "absolute-form request to another host than Host is refused");
    d.origin_target = slash == std::string_view::npos ? std::string("/") : std::string(rest.substr(slash));
  }

  // Step 1: short-name expansion with the caller's namespace.
  std::string host_buf(host_header);
  if (req.has_source_ns && !req.source_ns.empty()) {
    auto hp = split_host_port(host_header);
    if (hp.host.find('.') == std::string_view::npos && !is_ip_literal(hp.host)) {
      if (!mesh || mesh->find(req.source_ns, hp.host)) {
        host_buf = std::string(hp.host) + "." + std::string(req.source_ns);
        if (hp.has_port) host_buf += ":" + std::string(hp.port);
      }
    }
  }
  d.host_header = host_buf;

  // Step 2: the dial target.
  std::string dial_host;
  uint16_t dial_port = 0;
  if (req.has_orig_dest) {
    auto hp = split_host_port(req.orig_dest);
    if (hp.has_port) {
      auto p = parse_port(hp.port);
      if (!p) return refuse(400, "invalid header Slime-Orig-Dest: port is not a number");
      dial_port = *p;
    } else {
      dial_port = req.listen_port;
    }
    dial_host = std::string(hp.host);
    if (dial_host.empty()) return refuse(400, "invalid header Slime-Orig-Dest: empty address");
  } else {
    auto hp = split_host_port(d.host_header);
    if (hp.has_port) {
      auto p = parse_port(hp.port);
      if (!p) return refuse(400, "invalid Host: port is not a number");
      dial_port = *p;
    } else {
      dial_port = 80;
    }
    if (rules.wormhole_port_priority) dial_port = req.listen_port;
    dial_host = std::string(hp.host);
    if (dial_host.empty()) return refuse(400, "invalid Host: empty host");
  }

  bool ip = is_ip_literal(dial_host);
  if (ip && is_loop(dial_host, dial_port, rules))
    return refuse(508, "refusing to forward to this proxy itself (" + dial_host + ":" + std::to_string(dial_port) + ")");

  if (mesh) {
    auto target = mesh->resolve(dial_host, dial_port, pick);
    if (!target) return refuse(status_of(target.error().kind), std::move(target.error().reason));
    if (!ip) d.service = target->service;
    dial_host = std::move(target->ip);
    dial_port = target->port;
    if (is_loop(dial_host, dial_port, rules))
      return refuse(508, "refusing to forward to this proxy itself (" + dial_host + ":" + std::to_string(dial_port) + ")");
  } else if (!rules.allow_any_destination) {
    return refuse(503, "no service list: this proxy forwards only to mesh services (start it with --state-dir or "
                       "--kubeconfig; --allow-any-destination makes it an open relay)");
  } else if (!ip) {
    auto lower = dial_host;
    std::ranges::transform(lower, lower.begin(), ::tolower);
    if (lower == "localhost" && std::ranges::find(rules.own_ports, dial_port) != rules.own_ports.end())
      return refuse(508, "refusing to forward to this proxy itself (localhost:" + std::to_string(dial_port) + ")");
  }
  d.dial_host = std::move(dial_host);
  d.dial_port = dial_port;
  return {std::move(d), {}};
}

}  // namespace slime::proxy

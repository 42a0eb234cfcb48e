#include "slime/modules/lazyload/ports.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "slime/modules/lazyload/names.h"

namespace slime::lazyload {

namespace {
std::string str_field(const core::Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
int64_t int_field(const core::Json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer() || it->is_number_unsigned()) return it->get<int64_t>();
  if (it->is_string()) return std::strtoll(it->get<std::string>().c_str(), nullptr, 10);
  return 0;
}
std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
const core::Json* ports_of(const core::Object& o) {
  const core::Json& spec = o.spec();
  if (!spec.is_object()) return nullptr;
  auto it = spec.find("ports");
  return it != spec.end() && it->is_array() ? &*it : nullptr;
}
}  // namespace

int64_t http_service_port(const core::Json& port, bool support_h2) {
  // Kubernetes defaults an absent protocol to TCP; manifests read from files often leave it out.
  std::string protocol = str_field(port, "protocol");
  if (!protocol.empty() && protocol != "TCP") return 0;
  std::string name = str_field(port, "name");
  std::string prefix = name.substr(0, name.find('-'));
  bool http = prefix == "http" || (support_h2 && (prefix == "grpc" || prefix == "http2"));
  return http ? int_field(port, "port") : 0;
}

int64_t http_service_entry_port(const core::Json& port, bool support_h2) {
  std::string p = upper(str_field(port, "protocol"));
  bool http = p == "HTTP" || (support_h2 && (p == "HTTP2" || p == "GRPC" || p == "GRPC-WEB"));
  return http ? int_field(port, "number") : 0;
}

std::vector<std::string> wormhole_ports(const FenceConfig& config, const core::Snapshot& snapshot) {
  if (!config.auto_port) return config.wormhole_port;
  std::set<std::string> ports(config.wormhole_port.begin(), config.wormhole_port.end());
  for (const auto* svc : snapshot.list(kServiceGk)) {
    // One member of each Service: a cache keeps Services packed, and unpacking every one whole for this
    // scan would hold them all as trees until the read ends.
    const core::Json list = svc->copy_at({"spec", "ports"});
    if (!list.is_array()) continue;
    bool gs = svc->name() == kGlobalSidecar;
    for (const auto& p : list) {
      if (!gs) {
        if (int64_t n = http_service_port(p, config.support_h2)) ports.insert(std::to_string(n));
      } else if (!config.cleanup_wormhole_port) {
        // The ports published last time. The global sidecar's own port is appended anyway; re-reading it would
        // only reorder the list after a restart.
        std::string name = str_field(p, "name");
        int64_t n = int_field(p, "port");
        if (name.starts_with("http-") && n > 0 && n != config.global_sidecar.port) ports.insert(std::to_string(n));
      }
    }
  }
  for (const auto* se : snapshot.list(kServiceEntryGk)) {
    const core::Json* list = ports_of(*se);
    if (!list) continue;
    for (const auto& p : *list)
      if (int64_t n = http_service_entry_port(p, config.support_h2)) ports.insert(std::to_string(n));
  }
  return {ports.begin(), ports.end()};  // std::set<std::string>: sorted as strings
}

std::vector<int64_t> gs_service_ports(const std::vector<std::string>& wormhole, int64_t gs_port,
                                      std::vector<core::Error>& problems) {
  std::vector<int64_t> out;
  for (size_t i = 0; i < wormhole.size(); ++i) {
    const std::string& s = wormhole[i];
    char* end = nullptr;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || n <= 0 || n > 65535) {
      core::Error e;
      e.field = "wormholePort[" + std::to_string(i) + "]";
      e.message = "expected a port number (1-65535) as a string, got '" + s + "'; skipped";
      problems.push_back(std::move(e));
      continue;
    }
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
  if (std::find(out.begin(), out.end(), gs_port) == out.end()) out.push_back(gs_port);
  return out;
}

}  // namespace slime::lazyload

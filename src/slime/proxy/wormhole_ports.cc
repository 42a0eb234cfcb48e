#include "slime/proxy/wormhole_ports.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "slime/core/yaml.h"
#include "slime/proxy/server.h"

namespace slime::proxy {

core::Result<std::vector<uint16_t>> parse_wormhole_ports(const core::Object& cm) {
  std::vector<uint16_t> ports;
  const auto& doc = cm.json();
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) return ports;
  auto cfg = data->find("cfg");
  if (cfg == data->end()) return ports;
  if (!cfg->is_string()) return core::fail("expected a string holding YAML", "data.cfg");
  auto parsed = core::parse_yaml(cfg->get_ref<const std::string&>());
  if (!parsed) return core::fail("not YAML: " + parsed.error().message, "data.cfg");
  if (parsed->is_null()) return ports;
  if (!parsed->is_object()) return core::fail("expected a mapping with wormholePorts", "data.cfg");
  auto list = parsed->find("wormholePorts");
  if (list == parsed->end() || list->is_null()) return ports;
  if (!list->is_array()) return core::fail("expected a list of ports", "data.cfg.wormholePorts");
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& v = (*list)[i];
    int64_t p = -1;
    // Lazyload writes numbers; a quoted number (as in the module's own `wormholePort` list) is accepted too.
    if (v.is_number_integer()) {
      p = v.get<int64_t>();
    } else if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (!s.empty() && s.size() <= 5 && std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; }))
        p = std::stoll(s);
    }
    if (p < 1 || p > 65535)
      return core::fail("expected a port number 1..65535, got " + v.dump(),
                        "data.cfg.wormholePorts[" + std::to_string(i) + "]");
    ports.push_back(static_cast<uint16_t>(p));
  }
  std::ranges::sort(ports);
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

core::Result<core::ObjectKey> parse_config_map_ref(const std::string& ref, const std::string& default_ns) {
  core::ObjectKey key{{"", "ConfigMap"}, default_ns, ref};
  if (auto slash = ref.find('/'); slash != std::string::npos) {
    key.ns = ref.substr(0, slash);
    key.name = ref.substr(slash + 1);
  }
  if (key.ns.empty() || key.name.empty() || key.name.find('/') != std::string::npos)
    return core::fail("expected NAMESPACE/NAME or NAME, got '" + ref + "'", "--wormhole-configmap");
  return key;
}

WormholeListeners::WormholeListeners(store::SharedStore& store, core::ObjectKey config_map, ProxyServer& server,
                                     bool cleanup)
    : store_(store), key_(std::move(config_map)), server_(server), cleanup_(cleanup) {
  store_.subscribe([this](const store::SharedStore::ObjectPtr& old, const store::SharedStore::ObjectPtr& now) {
    const auto& o = now ? now : old;
    if (o->key() != key_) return;
    std::lock_guard lock(mu_);
    if (active_) apply(now);
  });
}

void WormholeListeners::activate() {
  std::lock_guard lock(mu_);
  active_ = true;
  apply(store_.find(key_));
}

std::vector<uint16_t> WormholeListeners::applied() const {
  std::lock_guard lock(mu_);
  return applied_;
}

void WormholeListeners::apply(const store::SharedStore::ObjectPtr& cm) {
  std::vector<uint16_t> ports;
  if (cm) {
    auto parsed = parse_wormhole_ports(*cm);
    if (!parsed) {
      // The original fell back to no ports (closing listeners with cleanup on); a typo should not take
      // traffic away, so the listeners stay as they are until the ConfigMap is readable again.
      auto e = std::move(parsed.error()).in_object("ConfigMap " + key_.ns + "/" + key_.name);
      spdlog::warn("proxy: wormhole ports unchanged: {}", e.str());
      return;
    }
    ports = std::move(*parsed);
  }
  for (const auto& e : server_.set_dynamic_ports(ports, cleanup_)) spdlog::warn("proxy: wormhole port: {}", e.str());
  applied_ = std::move(ports);
  std::string list;
  for (auto p : applied_) list += (list.empty() ? "" : ",") + std::to_string(p);
  spdlog::info("proxy: wormhole ports from ConfigMap {}/{}: [{}]{}", key_.ns, key_.name, list,
               cm ? "" : " (ConfigMap absent)");
}

}  // namespace slime::proxy

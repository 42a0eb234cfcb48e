#include "slime/modules/lazyload/ingest.h"

#include <arpa/inet.h>

#include <algorithm>

#include "slime/core/service_endpoints.h"
#include "slime/modules/lazyload/autofence.h"
#include "slime/modules/lazyload/fence.h"
#include "slime/modules/lazyload/fence_reconcile.h"
#include "slime/modules/lazyload/names.h"

namespace slime::lazyload {

namespace {

bool is_ip(std::string_view host) {
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

// "10.0.0.1:1234" -> "10.0.0.1"; "[::1]:80" -> "::1"; a bare IPv6 address stays as it is.
std::string strip_port(std::string_view addr) {
  if (!addr.empty() && addr.front() == '[') {
    auto close = addr.find(']');
    return std::string(addr.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  if (std::count(addr.begin(), addr.end(), ':') == 1) return std::string(addr.substr(0, addr.find(':')));
  return std::string(addr);
}

std::string metric_key(const std::string& host) { return "{destination_service=\"" + host + "\"}"; }

int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

SourceIndex SourceIndex::build(const core::Snapshot& snapshot, const FenceConfig& config) {
  SourceIndex idx;
  core::for_each_service_endpoints(snapshot, [&](const std::string& ns, const std::string& name,
                                                  const std::vector<core::EndpointAddress>& addresses) {
    std::string svc = ns + "/" + name;
    for (const auto& a : addresses) {
      idx.ip_to_svc_[a.ip].insert(svc);
      idx.svc_with_endpoints_.insert(svc);
    }
  });
  if (config.auto_fence && !config.fence_label_key.empty()) {
    for (const auto* pod : snapshot.list(kPodGk)) {
      auto labels = pod->labels();
      auto it = labels.find(config.fence_label_key);
      if (it == labels.end()) continue;
      const core::Json& st = pod->status();
      if (!st.is_object() || !st.contains("podIP") || !st["podIP"].is_string()) continue;
      if (namespace_scope(config, snapshot, pod->ns()) != NamespaceScope::kIn) continue;
      idx.ip_to_fence_[st["podIP"].get<std::string>()] = pod->ns() + "/" + workload_fence_name(config, it->second);
    }
  }
  return idx;
}

const std::set<std::string>* SourceIndex::services_of(std::string_view ip) const {
  auto it = ip_to_svc_.find(ip);
  return it == ip_to_svc_.end() ? nullptr : &it->second;
}

const std::string* SourceIndex::workload_fence_of(std::string_view ip) const {
  auto it = ip_to_fence_.find(ip);
  return it == ip_to_fence_.end() ? nullptr : &it->second;
}

bool SourceIndex::has_endpoints(std::string_view ns, std::string_view name) const {
  return svc_with_endpoints_.count(std::string(ns) + "/" + std::string(name)) > 0;
}

std::vector<std::string> normalise_destination(std::string_view authority, std::string_view source_ns,
                                               const SourceIndex& index, bool enable_short_domain) {
  std::string raw = strip_port(authority);
  if (raw.empty() || is_ip(raw)) return {};
  std::vector<std::string> labels;
  for (size_t start = 0;;) {
    size_t dot = raw.find('.', start);
    labels.push_back(raw.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::string host = raw;
  if (labels.size() == 1) {
    if (!source_ns.empty()) host = raw + "." + std::string(source_ns) + ".svc.cluster.local";
  } else if (labels.size() == 2) {
    if (index.has_endpoints(labels[1], labels[0])) host = raw + ".svc.cluster.local";
  } else if (labels.size() == 3) {
    if (labels[2] == "svc" && index.has_endpoints(labels[1], labels[0]))
      host = labels[0] + "." + labels[1] + ".svc.cluster.local";
  }
  std::vector<std::string> out{host};
  if (enable_short_domain && host != raw) out.push_back(raw);
  return out;
}

bool learnable_host(std::string_view host, const core::Snapshot& snapshot, const FenceConfig& config) {
  std::string_view h = host;
  for (std::string_view suffix : {".svc.cluster.local", ".svc"})
    if (h.size() > suffix.size() && h.ends_with(suffix)) {
      h.remove_suffix(suffix.size());
      break;
    }
  auto dot = h.find('.');
  if (dot != std::string_view::npos && dot > 0 && h.find('.', dot + 1) == std::string_view::npos &&
      snapshot.get({core::kServiceGk, std::string(h.substr(dot + 1)), std::string(h.substr(0, dot))}))
    return true;
  return !config.aliases.empty() && config.aliases.expand(host).size() > 1;
}

IngestResult ingest(const core::Snapshot& snapshot, const FenceConfig& config, const SourceIndex& index,
                    std::span<const AccessEvent> events, std::chrono::system_clock::time_point now) {
  IngestResult result;
  struct Seen {
    int64_t count = 0;
    int64_t last = 0;
  };
  std::map<std::string, std::map<std::string, Seen>> batch;  // source "ns/name" -> metric key -> seen
  for (const auto& ev : events) {
    ++result.stats.events;
    if (!ev.upstream_cluster.empty()) {
      // Only the global sidecar's inbound entries ("inbound|80||") carry the caller as downstream.
      std::string_view c = ev.upstream_cluster;
      if (std::count(c.begin(), c.end(), '|') != 3 || !c.starts_with("inbound|")) {
        ++result.stats.skipped_cluster;
        continue;
      }
    }
    std::vector<std::string> sources;
    if (!ev.source.empty()) {
      sources.push_back(ev.source);
    } else {
      std::string ip = strip_port(ev.source_ip);
      if (const auto* svcs = index.services_of(ip)) sources.assign(svcs->begin(), svcs->end());
      if (const auto* wf = index.workload_fence_of(ip)) sources.push_back(*wf);
    }
    if (sources.empty()) {
      ++result.stats.skipped_no_source;
      continue;
    }
    std::string_view source_ns = std::string_view(sources.front()).substr(0, sources.front().find('/'));
    auto dests = normalise_destination(ev.authority, source_ns, index, config.enable_short_domain);
    if (dests.empty()) {
      ++result.stats.skipped_destination;
      continue;
    }
    // The first is the normalised host; the raw short form (enableShortDomain) goes with it.
    if (!learnable_host(dests.front(), snapshot, config)) {
      ++result.stats.skipped_not_mesh;
      continue;
    }
    int64_t at = ev.at.time_since_epoch().count() == 0 ? unix_seconds(now) : unix_seconds(ev.at);
    for (const auto& src : sources) {
      for (const auto& d : dests) {
        Seen& s = batch[src][metric_key(d)];
        ++s.count;
        s.last = std::max(s.last, at);
        ++result.stats.recorded;
      }
    }
  }

  const int64_t now_s = unix_seconds(now);
  const int64_t refresh = config.dependency_ttl ? std::max<int64_t>(1, config.dependency_ttl->count() / 10) : 0;
  for (const auto& [src, keys] : batch) {
    auto slash = src.find('/');
    const core::Object* fence =
        snapshot.get({kServiceFenceGk, src.substr(0, slash), slash == std::string::npos ? "" : src.substr(slash + 1)});
    if (!fence) {
      result.stats.skipped_no_fence += keys.size();
      continue;
    }
    std::vector<core::Error> ignored;  // a malformed status is reported by the fence reconcile
    FenceStatus status = parse_fence_status(fence->status(), ignored);
    bool changed = false;
    bool capped = false;
    for (const auto& [key, seen] : keys) {
      if (!status.metric_status.contains(key) &&
          static_cast<int64_t>(status.metric_status.size()) >= config.max_learned_hosts) {
        ++result.stats.dropped_at_cap;
        capped = true;
        continue;
      }
      if (status.metric_status.emplace(key, std::to_string(seen.count)).second) changed = true;
      if (config.dependency_ttl) {
        auto [it, inserted] = status.last_seen.emplace(key, seen.last);
        if (!inserted && seen.last - it->second >= refresh) {
          it->second = seen.last;
          changed = true;
        } else if (inserted) {
          changed = true;
        }
      }
    }
    if (apply_dependency_ttl(status, config, now_s)) changed = true;
    if (changed) result.statuses.push_back({fence->key(), encode_status(status)});
    if (capped) result.capped_fences.push_back(fence->key());
  }
  return result;
}

std::vector<core::StatusUpdate> reset_learned(const core::Snapshot& snapshot, std::string_view ns,
                                              std::string_view name) {
  std::vector<core::StatusUpdate> out;
  for (const auto* fence : snapshot.list(kServiceFenceGk, ns)) {
    if (!name.empty() && fence->name() != name) continue;
    std::vector<core::Error> ignored;
    FenceStatus status = parse_fence_status(fence->status(), ignored);
    if (status.metric_status.empty() && status.last_seen.empty()) continue;
    status.metric_status.clear();
    status.last_seen.clear();
    out.push_back({fence->key(), encode_status(status)});
  }
  return out;
}

}  // namespace slime::lazyload

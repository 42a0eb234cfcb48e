#include "slime/modules/lazyload/domains.h"

#include <set>

namespace slime::lazyload {

bool is_valid_host(std::string_view host) {
  return !host.empty() && host.find("global-sidecar") == std::string_view::npos &&
         host.find(':') == std::string_view::npos && host.find("unknown") == std::string_view::npos;
}

std::string host_of_metric_key(std::string_view key) {
  if (!key.empty() && key.front() == '{') key.remove_prefix(1);
  if (!key.empty() && key.back() == '}') key.remove_suffix(1);
  if (!key.starts_with("destination_service") && !key.starts_with("request_host")) return {};
  // Exactly one quoted value: split on '"' must give three parts.
  size_t q1 = key.find('"');
  if (q1 == std::string_view::npos) return {};
  size_t q2 = key.find('"', q1 + 1);
  if (q2 == std::string_view::npos || key.find('"', q2 + 1) != std::string_view::npos) return {};
  std::string_view host = key.substr(q1 + 1, q2 - q1 - 1);
  if (auto colon = host.find(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  return std::string(host);
}

namespace {

using Clock = std::chrono::system_clock;

DomainStatus status_of(const RecyclingStrategy& s, Clock::time_point now) {
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (s.deadline_expire && now_s > s.deadline_expire->seconds) return DomainStatus::kExpire;
  if (s.auto_duration && s.recently_called && now_s - s.recently_called->seconds > s.auto_duration->seconds)
    return DomainStatus::kExpire;
  return DomainStatus::kActive;
}

std::string_view ns_label(std::string_view host) {
  size_t d1 = host.find('.');
  if (d1 == std::string_view::npos) return {};
  size_t d2 = host.find('.', d1 + 1);
  return host.substr(d1 + 1, d2 == std::string_view::npos ? std::string_view::npos : d2 - d1 - 1);
}

class Builder {
 public:
  Builder(const MeshView& view, const FenceConfig& config) : view_(view), config_(config) {}

  // Adds `host` and its aliases when absent: {hosts: [x] + VS backends of x, status}.
  void add_host(const std::string& host, DomainStatus status) {
    for (auto& x : config_.aliases.expand(host)) {
      if (domains_.count(x)) continue;  // the original returned here ([BUG?] 11); we skip only this alias
      Destinations d;
      d.status = status;
      d.hosts.push_back(x);
      if (const auto* b = view_.vs_backends(x))
        for (const auto& h : *b)
          if (h != x) d.hosts.push_back(h);
      domains_.emplace(std::move(x), std::move(d));
    }
  }

  // `ns/*`: always ACTIVE; hosts = cross-namespace VirtualService backends of the namespace's services.
  void add_namespace(const std::string& key, const std::string& ns) {
    if (domains_.count(key)) return;
    std::set<std::string> backends;
    for (const auto& svc : view_.services_in(ns)) {
      for (const auto& x : config_.aliases.expand(svc + "." + ns + ".svc.cluster.local")) {
        if (domains_.count(x)) continue;
        if (const auto* b = view_.vs_backends(x))
          for (const auto& h : *b)
            if (ns_label(h) != ns) backends.insert(h);
      }
    }
    Destinations d;
    d.hosts.assign(backends.begin(), backends.end());
    domains_.emplace(key, std::move(d));
  }

  Domains take() { return std::move(domains_); }

 private:
  const MeshView& view_;
  const FenceConfig& config_;
  Domains domains_;
};

}  // namespace

Domains compute_domains(const FenceSpec& spec, const std::map<std::string, std::string>& metric_status,
                        const MeshView& view, const FenceConfig& config, Clock::time_point now,
                        std::vector<core::Error>& problems) {
  Builder b(view, config);
  for (const auto& [h, strategy] : spec.host) {
    if (h.ends_with("/*")) {
      std::string ns = h.substr(0, h.size() - 2);
      if (ns.empty() || ns.find('/') != std::string::npos) {
        core::Error e;
        e.field = "spec.host." + h;
        e.message = "expected a host name or <namespace>/*";
        problems.push_back(std::move(e));
        continue;
      }
      b.add_namespace(h, ns);
      continue;
    }
    if (h.find('/') != std::string::npos) {
      // `*/foo` or `a/b` would render an invalid Sidecar host such as `*/*/foo`.
      core::Error e;
      e.field = "spec.host." + h;
      e.message = "expected a host name or <namespace>/*";
      problems.push_back(std::move(e));
      continue;
    }
    if (!is_valid_host(h)) continue;
    b.add_host(h, status_of(strategy, now));
  }
  // namespaceSelector: documented as "every service of these namespaces"; the original never read it.
  for (const auto& ns : spec.namespace_selector)
    if (!ns.empty()) b.add_namespace(ns + "/*", ns);
  for (const auto& sel : spec.label_selector) {
    for (const auto& [ns, name] : view.services_matching(sel)) {
      std::string host = name + "." + ns + ".svc.cluster.local";
      if (is_valid_host(host)) b.add_host(host, DomainStatus::kActive);
    }
  }
  for (const auto& [key, _] : metric_status) {
    std::string host = host_of_metric_key(key);
    if (is_valid_host(host)) b.add_host(host, DomainStatus::kActive);
  }
  return b.take();
}

Domains apply_expire_wait(const Domains& old_domains, Domains fresh) {
  for (const auto& [k, d] : old_domains) {
    if (fresh.count(k) || d.status != DomainStatus::kActive) continue;
    Destinations w = d;
    w.status = DomainStatus::kExpireWait;
    fresh.emplace(k, std::move(w));
  }
  return fresh;
}

}  // namespace slime::lazyload

#include "slime/proxy/server.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <map>
#include <optional>

#include "slime/proxy/asio.h"
#include "slime/proxy/session.h"
#include "slime/proxy/upstream_pool.h"

namespace slime::proxy {
namespace {

core::Result<tcp::endpoint> parse_listen(const std::string& addr, const char* flag) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos) return core::fail("expected host:port, got '" + addr + "'", flag);
  std::string host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  auto port = parse_port(addr.substr(colon + 1));
  if (!port && addr.substr(colon + 1) != "0") return core::fail("invalid port in '" + addr + "'", flag);
  error_code ec;
  auto ip = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return core::fail("invalid address in '" + addr + "' (an IP address is expected)", flag);
  return tcp::endpoint(ip, port.value_or(0));
}

std::string join_host_port(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// The addresses this proxy is reachable at, for loop protection: every bound listener's address, and every
// interface address when a listener binds a wildcard (a pod's own IP is then one of the proxy's addresses
// and may well be an endpoint of the global sidecar's Service).
std::vector<std::string> own_addresses(const std::vector<std::shared_ptr<tcp::acceptor>>& acceptors,
                                       const std::string& dynamic_listen_host) {
  std::vector<std::string> out;
  error_code dyn_ec;
  // Wormhole listeners open later, on this host.
  bool wildcard = dynamic_listen_host.empty() || asio::ip::make_address(dynamic_listen_host, dyn_ec).is_unspecified();
  for (const auto& acc : acceptors) {
    error_code ec;
    auto ep = acc->local_endpoint(ec);
    if (ec) continue;
    if (ep.address().is_unspecified()) wildcard = true;
    else out.push_back(ep.address().to_string());
  }
  ifaddrs* list = nullptr;
  if (wildcard && ::getifaddrs(&list) == 0) {
    for (auto* i = list; i; i = i->ifa_next) {
      if (!i->ifa_addr) continue;
      if (i->ifa_addr->sa_family == AF_INET) {
        const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        asio::ip::address_v4::bytes_type b;
        std::memcpy(b.data(), &a->sin_addr, b.size());
        out.push_back(asio::ip::address_v4(b).to_string());
      } else if (i->ifa_addr->sa_family == AF_INET6) {
        const auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
        asio::ip::address_v6::bytes_type b;
        std::memcpy(b.data(), &a->sin6_addr, b.size());
        out.push_back(asio::ip::address_v6(b).to_string());
      }
    }
    ::freeifaddrs(list);
  }
  std::ranges::sort(out);
  auto [first, last] = std::ranges::unique(out);
  out.erase(first, last);
  return out;
}

}  // namespace

struct ProxyServer::Impl {
  Impl(const ProxyOptions& opts, ProxyStats& stats, size_t threads)
      : routing(opts.rules),
        ctx{opts, stats, pool, routing},  // only binds a reference to the pool, constructed below
        contexts(threads),
        pool(opts.max_idle_upstream_per_host, opts.idle_timeout) {
    for (auto& c : contexts) c = std::make_unique<asio::io_context>(1);
    sweep_timer.emplace(main());
  }

  // Acceptors, the probe, the sweep timer and listener changes live on the first context.
  asio::io_context& main() { return *contexts.front(); }
  asio::io_context& next_context() { return *contexts[next.fetch_add(1, std::memory_order_relaxed) % contexts.size()]; }

  enum class Kind { kHttp, kProbe, kTcp };

  awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acc, uint16_t port, Kind kind) {
    const bool probe = kind == Kind::kProbe;
    const auto& opts = ctx.opts;
    while (acc->is_open()) {
      // Bounded connections: past the limit, stop accepting (the kernel backlog holds the rest).
      while (ctx.stats.active_connections.load() >= static_cast<int64_t>(opts.max_connections)) {
        asio::steady_timer t(main(), std::chrono::milliseconds(10));
        error_code ignored;
        co_await t.async_wait(asio::redirect_error(use_awaitable, ignored));
      }
      error_code ec;
      auto& home = probe ? main() : next_context();
      tcp::socket socket = co_await acc->async_accept(home, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acc->is_open()) co_return;
        spdlog::warn("proxy: accept failed port={} error={}", port, ec.message());
        asio::steady_timer t(main(), std::chrono::milliseconds(50));  // e.g. out of file descriptors
        co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      if (probe) asio::co_spawn(home, serve_probe_connection(std::move(socket)), asio::detached);
      else if (kind == Kind::kTcp) asio::co_spawn(home, serve_tcp_connection(std::move(socket), port, ctx), asio::detached);
      else asio::co_spawn(home, serve_proxy_connection(std::move(socket), port, ctx), asio::detached);
    }
  }

  void schedule_sweep() {
    sweep_timer->expires_after(std::chrono::seconds(1));
    sweep_timer->async_wait([this](error_code ec) {
      if (ec) return;
      pool.sweep();
      schedule_sweep();
    });
  }

  core::Result<std::shared_ptr<tcp::acceptor>> bind(const std::string& addr, const char* flag) {
    auto ep = parse_listen(addr, flag);
    if (!ep) return std::unexpected(ep.error());
    auto acc = std::make_shared<tcp::acceptor>(main());
    error_code ec;
    acc->open(ep->protocol(), ec);
    // SO_REUSEADDR (and SO_REUSEPORT, as the original) so a restart does not wait for TIME_WAIT.
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      ::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    if (!ec) acc->bind(*ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return core::fail("cannot listen on '" + addr + "': " + ec.message(), flag);
    return acc;
  }

  // Runs `f` on the main context and waits for it (directly when the threads are not running).
  void on_main(const std::function<void()>& f, bool running) {
    if (!running) return f();
    std::promise<void> done;
    asio::post(main(), [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  // Declaration order matters: sessions abandoned at stop() are destroyed with the io_contexts and still
  // see ctx and the routing state (declared before them; ctx.closing keeps them off the pool); the pool's
  // sockets and the timer go before the io_contexts they are registered with (declared after them).
  RoutingState routing;
  SessionContext ctx;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  UpstreamPool pool;
  std::atomic<size_t> next{0};
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
  std::vector<std::shared_ptr<tcp::acceptor>> tcp_acceptors;
  std::shared_ptr<tcp::acceptor> probe;
  std::optional<asio::steady_timer> sweep_timer;
  // Wormhole-port listeners opened by set_dynamic_ports, by port.
  mutable std::mutex dynamic_mu;
  std::map<uint16_t, std::shared_ptr<tcp::acceptor>> dynamic;
};

ProxyServer::ProxyServer(ProxyOptions opts)
    : opts_(std::move(opts)), impl_(std::make_unique<Impl>(opts_, stats_, static_cast<size_t>(std::max(1, opts_.threads)))) {}

ProxyServer::~ProxyServer() { stop(); }

void ProxyServer::set_mesh(std::shared_ptr<const MeshIndex> mesh) { impl_->routing.set_mesh(std::move(mesh)); }

std::shared_ptr<const MeshIndex> ProxyServer::mesh() const { return impl_->routing.get().mesh; }

void ProxyServer::set_tcp_routes(std::shared_ptr<const TcpRoutes> routes) { impl_->routing.set_tcp(std::move(routes)); }

size_t ProxyServer::idle_upstream() const { return impl_->pool.idle(); }

core::Result<void> ProxyServer::start() {
  if (opts_.listen.empty() && opts_.tcp_listen.empty()) return core::fail("no listen address", "--listen");
  for (const auto& addr : opts_.listen) {
    auto acc = impl_->bind(addr, "--listen");
    if (!acc) return std::unexpected(acc.error());
    ports_.push_back((*acc)->local_endpoint().port());
    impl_->acceptors.push_back(std::move(*acc));
  }
  for (const auto& addr : opts_.tcp_listen) {
    auto acc = impl_->bind(addr, "--tcp-listen");
    if (!acc) return std::unexpected(acc.error());
    tcp_ports_.push_back((*acc)->local_endpoint().port());
    impl_->tcp_acceptors.push_back(std::move(*acc));
  }
  if (!opts_.probe_addr.empty()) {
    auto acc = impl_->bind(opts_.probe_addr, "--probe-addr");
    if (!acc) return std::unexpected(acc.error());
    probe_port_ = (*acc)->local_endpoint().port();
    impl_->probe = std::move(*acc);
  }
  // Loop protection needs the ports actually bound.
  auto rules = std::make_shared<DestinationRules>(opts_.rules);
  for (auto p : ports_) rules->own_ports.push_back(p);
  for (auto p : tcp_ports_) rules->own_ports.push_back(p);
  for (auto& ip : own_addresses(impl_->acceptors, opts_.dynamic_listen_host)) rules->own_ips.push_back(std::move(ip));
  impl_->routing.set_rules(std::move(rules));
  using Kind = Impl::Kind;
  for (size_t i = 0; i < impl_->acceptors.size(); ++i)
    asio::co_spawn(impl_->main(), impl_->accept_loop(impl_->acceptors[i], ports_[i], Kind::kHttp), asio::detached);
  for (size_t i = 0; i < impl_->tcp_acceptors.size(); ++i)
    asio::co_spawn(impl_->main(), impl_->accept_loop(impl_->tcp_acceptors[i], tcp_ports_[i], Kind::kTcp),
                   asio::detached);
  if (impl_->probe)
    asio::co_spawn(impl_->main(), impl_->accept_loop(impl_->probe, probe_port_, Kind::kProbe), asio::detached);
  impl_->schedule_sweep();
  for (auto& c : impl_->contexts) {
    impl_->work.push_back(asio::make_work_guard(*c));
    threads_.emplace_back([c = c.get()] {
      ::pthread_setname_np(::pthread_self(), "slime-proxy");  // visible in top/perf
      c->run();
    });
  }
  return {};
}

std::vector<core::Error> ProxyServer::set_dynamic_ports(const std::vector<uint16_t>& wanted, bool close_vanished) {
  std::vector<core::Error> errors;
  std::lock_guard lock(impl_->dynamic_mu);
  bool changed = false;
  for (auto p : wanted) {
    if (p == 0 || p == probe_port_ || impl_->dynamic.contains(p) || std::ranges::find(ports_, p) != ports_.end() ||
        std::ranges::find(tcp_ports_, p) != tcp_ports_.end())
      continue;
    auto addr = join_host_port(opts_.dynamic_listen_host, p);
    auto acc = impl_->bind(addr, "wormholePorts");
    if (!acc) {
      errors.push_back(acc.error());
      continue;
    }
    impl_->dynamic[p] = *acc;
    changed = true;
    impl_->on_main([&] { asio::co_spawn(impl_->main(), impl_->accept_loop(*acc, p, Impl::Kind::kHttp), asio::detached); },
                   !threads_.empty());
    spdlog::info("proxy: listening addr={} (wormhole port)", addr);
  }
  if (close_vanished) {
    for (auto it = impl_->dynamic.begin(); it != impl_->dynamic.end();) {
      if (std::ranges::find(wanted, it->first) != wanted.end()) {
        ++it;
        continue;
      }
      auto acc = it->second;
      impl_->on_main(
          [&] {
            error_code ignored;
            acc->close(ignored);
          },
          !threads_.empty());
      spdlog::info("proxy: closed wormhole port {}", it->first);
      it = impl_->dynamic.erase(it);
      changed = true;
    }
  }
  if (changed) {
    auto rules = std::make_shared<DestinationRules>(*impl_->routing.get().rules);
    rules->own_ports = ports_;
    rules->own_ports.insert(rules->own_ports.end(), tcp_ports_.begin(), tcp_ports_.end());
    for (const auto& [p, acc] : impl_->dynamic) rules->own_ports.push_back(p);
    impl_->routing.set_rules(std::move(rules));
  }
  return errors;
}

std::vector<uint16_t> ProxyServer::dynamic_ports() const {
  std::lock_guard lock(impl_->dynamic_mu);
  std::vector<uint16_t> out;
  for (const auto& [p, acc] : impl_->dynamic) out.push_back(p);
  return out;
}

void ProxyServer::stop() {
  if (threads_.empty()) return;
  std::vector<std::shared_ptr<tcp::acceptor>> open = impl_->acceptors;
  open.insert(open.end(), impl_->tcp_acceptors.begin(), impl_->tcp_acceptors.end());
  if (impl_->probe) open.push_back(impl_->probe);
  {
    std::lock_guard lock(impl_->dynamic_mu);
    for (auto& [p, a] : impl_->dynamic) open.push_back(a);
  }
  impl_->on_main(
      [&] {
        error_code ignored;
        for (auto& a : open) a->close(ignored);
        impl_->sweep_timer->cancel();
      },
      true);
  impl_->ctx.closing = true;
  impl_->work.clear();
  // Open connections are not waited for: stopping the contexts abandons them (their sockets close).
  for (auto& c : impl_->contexts) c->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace slime::proxy

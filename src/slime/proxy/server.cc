#include "slime/proxy/server.h"

#include <spdlog/spdlog.h>

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

}  // namespace

struct ProxyServer::Impl {
  Impl(const ProxyOptions& opts, ProxyStats& stats)
      : ctx{opts, stats, pool, [this] { return current_mesh(); }},
        pool(opts.max_idle_upstream_per_host, opts.idle_timeout),
        sweep_timer(ioc) {}

  std::shared_ptr<const MeshIndex> current_mesh() {
    std::lock_guard lock(mesh_mu);
    return mesh;
  }

  awaitable<void> accept_loop(tcp::acceptor& acc, uint16_t port, bool probe) {
    const auto& opts = ctx.opts;
    while (acc.is_open()) {
      // Bounded connections: past the limit, stop accepting (the kernel backlog holds the rest).
      while (ctx.stats.active_connections.load() >= static_cast<int64_t>(opts.max_connections)) {
        asio::steady_timer t(ioc, std::chrono::milliseconds(10));
        error_code ignored;
        co_await t.async_wait(asio::redirect_error(use_awaitable, ignored));
      }
      error_code ec;
      auto strand = asio::make_strand(ioc);
      tcp::socket socket = co_await acc.async_accept(strand, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acc.is_open()) co_return;
        spdlog::warn("proxy: accept failed port={} error={}", port, ec.message());
        asio::steady_timer t(ioc, std::chrono::milliseconds(50));  // e.g. out of file descriptors
        co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      if (probe) asio::co_spawn(strand, serve_probe_connection(std::move(socket)), asio::detached);
      else asio::co_spawn(strand, serve_proxy_connection(std::move(socket), port, ctx), asio::detached);
    }
  }

  void schedule_sweep() {
    sweep_timer.expires_after(std::chrono::seconds(1));
    sweep_timer.async_wait([this](error_code ec) {
      if (ec) return;
      pool.sweep();
      schedule_sweep();
    });
  }

  // Order matters for destruction: sessions abandoned at stop() are destroyed with the io_context and still
  // see ctx (declared before it); the pool's sockets go before the io_context.
  std::mutex mesh_mu;
  std::shared_ptr<const MeshIndex> mesh;
  SessionContext ctx;
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::unique_ptr<tcp::acceptor> probe;
  UpstreamPool pool;
  asio::steady_timer sweep_timer;
};

ProxyServer::ProxyServer(ProxyOptions opts) : opts_(std::move(opts)), impl_(std::make_unique<Impl>(opts_, stats_)) {}

ProxyServer::~ProxyServer() { stop(); }

void ProxyServer::set_mesh(std::shared_ptr<const MeshIndex> mesh) {
  std::lock_guard lock(impl_->mesh_mu);
  impl_->mesh = std::move(mesh);
}

std::shared_ptr<const MeshIndex> ProxyServer::mesh() const { return impl_->current_mesh(); }

size_t ProxyServer::idle_upstream() const { return impl_->pool.idle(); }

core::Result<void> ProxyServer::start() {
  auto bind = [this](const std::string& addr, const char* flag) -> core::Result<std::unique_ptr<tcp::acceptor>> {
    auto ep = parse_listen(addr, flag);
    if (!ep) return std::unexpected(ep.error());
    auto acc = std::make_unique<tcp::acceptor>(impl_->ioc);
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
  };
  if (opts_.listen.empty()) return core::fail("no listen address", "--listen");
  for (const auto& addr : opts_.listen) {
    auto acc = bind(addr, "--listen");
    if (!acc) return std::unexpected(acc.error());
    ports_.push_back((*acc)->local_endpoint().port());
    impl_->acceptors.push_back(std::move(*acc));
  }
  if (!opts_.probe_addr.empty()) {
    auto acc = bind(opts_.probe_addr, "--probe-addr");
    if (!acc) return std::unexpected(acc.error());
    probe_port_ = (*acc)->local_endpoint().port();
    impl_->probe = std::move(*acc);
  }
  // Loop protection needs the ports actually bound.
  for (auto p : ports_) opts_.rules.own_ports.push_back(p);
  for (size_t i = 0; i < impl_->acceptors.size(); ++i)
    asio::co_spawn(impl_->ioc, impl_->accept_loop(*impl_->acceptors[i], ports_[i], false), asio::detached);
  if (impl_->probe) asio::co_spawn(impl_->ioc, impl_->accept_loop(*impl_->probe, probe_port_, true), asio::detached);
  impl_->schedule_sweep();
  impl_->work.emplace(impl_->ioc.get_executor());
  int n = std::max(1, opts_.threads);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { impl_->ioc.run(); });
  return {};
}

void ProxyServer::stop() {
  if (threads_.empty()) return;
  asio::post(impl_->ioc, [this] {
    error_code ignored;
    for (auto& a : impl_->acceptors) a->close(ignored);
    if (impl_->probe) impl_->probe->close(ignored);
    impl_->sweep_timer.cancel();
  });
  impl_->ctx.closing = true;
  impl_->work.reset();
  // Open connections are not waited for: stopping the context abandons them (their sockets close).
  impl_->ioc.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace slime::proxy

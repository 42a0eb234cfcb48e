#include "slime/metric/accesslog/accesslog_server.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "envoy/service/accesslog/v3/als.grpc.pb.h"
#include "slime/metric/accesslog/accesslog_decode.h"

namespace slime::metric {

namespace als = envoy::service::accesslog::v3;

class AccessLogServer::Service final : public als::AccessLogService::Service {
 public:
  explicit Service(AccessLogServer& owner) : owner_(owner) {}

  grpc::Status StreamAccessLogs(grpc::ServerContext* ctx, grpc::ServerReader<als::StreamAccessLogsMessage>* reader,
                                als::StreamAccessLogsResponse*) override {
    als::StreamAccessLogsMessage msg;
    while (reader->Read(&msg)) {
      owner_.messages_.fetch_add(1, std::memory_order_relaxed);
      auto batch = decode_access_logs(msg);
      if (!batch) {
        // As the original: a bad batch is logged and dropped; the stream goes on.
        owner_.rejected_.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("accesslog: batch rejected peer={} error={}", ctx->peer(), batch.error().str());
        continue;
      }
      if (batch->empty()) continue;
      owner_.events_.fetch_add(batch->size(), std::memory_order_relaxed);
      owner_.sink_(std::move(*batch));
    }
    return grpc::Status::OK;
  }

 private:
  AccessLogServer& owner_;
};

struct AccessLogServer::ServerHolder {
  std::unique_ptr<grpc::Server> server;
};

AccessLogServer::AccessLogServer(Sink sink) : sink_(std::move(sink)) {}

AccessLogServer::~AccessLogServer() { stop(); }

core::Result<void> AccessLogServer::start(const std::string& addr) {
  if (server_) return core::fail("access-log server already started");
  std::string listen = addr;
  if (!listen.empty() && listen.front() == ':') listen = "0.0.0.0" + listen;
  service_ = std::make_unique<Service>(*this);
  grpc::ServerBuilder builder;
  int selected = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &selected);
  builder.RegisterService(service_.get());
  auto holder = std::make_unique<ServerHolder>();
  holder->server = builder.BuildAndStart();
  if (!holder->server || selected == 0) {
    service_.reset();
    return core::fail("cannot listen on '" + addr + "' for the access-log service", "--als-addr");
  }
  port_ = static_cast<uint16_t>(selected);
  server_ = std::move(holder);
  return {};
}

void AccessLogServer::stop() {
  if (!server_) return;
  // Envoy keeps its stream open forever: give open streams a short deadline, then cancel them.
  server_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  server_->server->Wait();
  server_.reset();
  service_.reset();
}

}  // namespace slime::metric

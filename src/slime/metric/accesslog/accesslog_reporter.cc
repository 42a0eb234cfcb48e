#include "slime/metric/accesslog/accesslog_reporter.h"

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <vector>

#include "envoy/service/accesslog/v3/als.grpc.pb.h"

namespace slime::metric {

namespace als = envoy::service::accesslog::v3;

namespace {

void fill_entry(const ReportedCall& call, envoy::data::accesslog::v3::HTTPAccessLogEntry& e) {
  auto* common = e.mutable_common_properties();
  auto* sa = common->mutable_downstream_direct_remote_address()->mutable_socket_address();
  sa->set_address(call.source_ip);
  sa->set_port_value(call.source_port);
  *common->mutable_downstream_remote_address() = common->downstream_direct_remote_address();
  common->set_upstream_cluster("inbound|" + std::to_string(call.listen_port) + "||");
  // A TCP connection is reported as an entry too (Envoy's TCP entries carry no authority, and the
  // learning loop reads HTTP entries); its protocol version stays unspecified.
  if (!call.tcp) e.set_protocol_version(envoy::data::accesslog::v3::HTTPAccessLogEntry::HTTP11);
  e.mutable_request()->set_authority(call.authority);
  e.mutable_request()->set_path(call.path);
  if (call.status) e.mutable_response()->mutable_response_code()->set_value(call.status);
}

}  // namespace

AccessLogReporter::AccessLogReporter(Options opts) : opts_(std::move(opts)) {
  thread_ = std::thread([this] { run(); });
}

AccessLogReporter::~AccessLogReporter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void AccessLogReporter::report(ReportedCall call) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= opts_.max_queue) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    queue_.push_back(std::move(call));
  }
  cv_.notify_one();
}

bool AccessLogReporter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queue_.empty() && in_flight_ == 0; });
}

void AccessLogReporter::run() {
  auto channel = grpc::CreateChannel(opts_.target, grpc::InsecureChannelCredentials());
  auto stub = als::AccessLogService::NewStub(channel);
  std::unique_ptr<grpc::ClientContext> ctx;
  std::unique_ptr<grpc::ClientWriter<als::StreamAccessLogsMessage>> writer;
  als::StreamAccessLogsResponse response;
  auto backoff = std::chrono::milliseconds(100);

  auto close_stream = [&] {
    if (!writer) return;
    writer->WritesDone();
    writer->Finish();
    writer.reset();
    ctx.reset();
  };

  std::vector<ReportedCall> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_ && queue_.empty()) break;
      batch.clear();
      while (!queue_.empty() && batch.size() < opts_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      in_flight_ = batch.size();
    }
    als::StreamAccessLogsMessage msg;
    if (!writer) {
      ctx = std::make_unique<grpc::ClientContext>();
      // Fail fast when the service is down instead of queueing behind a connect that may never finish.
      ctx->set_wait_for_ready(false);
      writer = stub->StreamAccessLogs(ctx.get(), &response);
      // The identifier goes in the first message of each stream only, as Envoy does.
      msg.mutable_identifier()->mutable_node()->set_id(opts_.node_id);
      msg.mutable_identifier()->set_log_name(opts_.log_name);
    }
    for (const auto& call : batch) fill_entry(call, *msg.mutable_http_logs()->add_log_entry());
    bool ok = writer->Write(msg);
    if (ok) {
      sent_.fetch_add(batch.size(), std::memory_order_relaxed);
      backoff = std::chrono::milliseconds(100);
    } else {
      dropped_.fetch_add(batch.size(), std::memory_order_relaxed);
      auto status = (writer->WritesDone(), writer->Finish());
      spdlog::warn("accesslog report failed target={} error={} dropped={}", opts_.target, status.error_message(),
                   batch.size());
      writer.reset();
      ctx.reset();
    }
    {
      std::lock_guard lock(mu_);
      in_flight_ = 0;
    }
    idle_cv_.notify_all();
    if (!ok) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, backoff, [this] { return stopping_; });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
  close_stream();
  idle_cv_.notify_all();
}

}  // namespace slime::metric

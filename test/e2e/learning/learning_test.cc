// Lazy loading's learning loop end to end, on loopback: the controller (`slime run` on a manifest
// directory, access-log service on) and the proxy (`slime proxy --report`) run in this process; a caller
// bound to its pod IP calls a service it has no Sidecar entry for through the proxy; the call succeeds and
// the caller's ServiceFence status and Sidecar gain the destination, without any periodic tick.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "echo.grpc.pb.h"
#include "learning_harness.h"
#include "test_backends.h"

namespace slime::learning {
namespace {

using slime::testing::get;
using slime::testing::HttpClient;

TEST(LearningLoop, FirstCallThroughTheProxyTeachesTheCallersSidecar) {
  LearningHarness h(/*destinations=*/2);
  ASSERT_TRUE(h.start()) << h.error();

  // Before any call: the caller's Sidecar exists and knows neither destination.
  ASSERT_TRUE(h.wait_for_sidecar([](const std::string& hosts) { return hosts.find("istio-system/*") != std::string::npos; },
                                 std::chrono::seconds(10)));
  EXPECT_EQ(h.sidecar_hosts().find("dest-0.default.svc.cluster.local"), std::string::npos);

  HttpClient c(h.proxy_port(), kCallerIp);
  auto r = c.request(get("dest-0:80", "/hello", {"Slime-Source-Ns: default"}));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello from backend");

  ASSERT_TRUE(h.wait_for_sidecar(
      [](const std::string& hosts) { return hosts.find("*/dest-0.default.svc.cluster.local") != std::string::npos; },
      std::chrono::seconds(5)))
      << h.sidecar_hosts();
  auto status = h.fence_status();
  EXPECT_TRUE(status.contains("metricStatus")) << status.dump();
  EXPECT_TRUE(status["metricStatus"].contains("{destination_service=\"dest-0.default.svc.cluster.local\"}"))
      << status.dump();
  // The Sidecar was written to the state directory, where a user looks.
  EXPECT_TRUE(std::filesystem::exists(h.state_dir() + "/generated/default/sidecar.networking.istio.io_caller.yaml"));

  // A second destination is learned too; the first one stays.
  r = c.request(get("dest-1.default", "/hello"));
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(h.wait_for_sidecar(
      [](const std::string& hosts) {
        return hosts.find("*/dest-1.default.svc.cluster.local") != std::string::npos &&
               hosts.find("*/dest-0.default.svc.cluster.local") != std::string::npos;
      },
      std::chrono::seconds(5)))
      << h.sidecar_hosts();
}

// gRPC through the proxy: one channel (one h2c connection) calls two services, a unary call with the
// channel's authority and a streaming call with its own; each stream is routed and learned on its own.
TEST(LearningLoop, GrpcStreamsOnOneConnectionTeachEachDestination) {
  LearningHarness h(0);
  ASSERT_TRUE(h.start()) << h.error();
  grpc::ChannelArguments args;
  args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, "grpc-0:50051");
  auto stub = slime::test::Echo::NewStub(grpc::CreateCustomChannel(
      "127.0.0.1:" + std::to_string(h.proxy_port()), grpc::InsecureChannelCredentials(), args));
  auto call_context = [](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ctx.AddMetadata("slime-source-ns", "default");
    ctx.AddMetadata("x-forwarded-for", kCallerIp);
  };
  grpc::ClientContext unary;
  call_context(unary);
  slime::test::Msg in, out;
  in.set_text("hi");
  auto status = stub->Say(&unary, in, &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.text(), "echo: hi");

  grpc::ClientContext streaming;
  call_context(streaming);
  streaming.set_authority("grpc-1:50051");
  auto chat = stub->Chat(&streaming);
  for (int i = 0; i < 3; ++i) {
    slime::test::Msg m, r;
    m.set_text(std::to_string(i));
    ASSERT_TRUE(chat->Write(m));
    ASSERT_TRUE(chat->Read(&r));
    EXPECT_EQ(r.text(), "echo: " + std::to_string(i));
  }
  chat->WritesDone();
  ASSERT_TRUE(chat->Finish().ok());

  ASSERT_TRUE(h.wait_for_sidecar(
      [](const std::string& hosts) {
        return hosts.find("*/grpc-0.default.svc.cluster.local") != std::string::npos &&
               hosts.find("*/grpc-1.default.svc.cluster.local") != std::string::npos;
      },
      std::chrono::seconds(5)))
      << h.sidecar_hosts();
}

TEST(LearningLoop, SvfResetForgetsWhatWasLearned) {
  LearningHarness h(1);
  ASSERT_TRUE(h.start()) << h.error();
  EXPECT_EQ(svf_reset(h.handle(), "", "caller").status, 400);
  HttpClient c(h.proxy_port(), kCallerIp);
  ASSERT_EQ(c.request(get("dest-0.default", "/hello")).status, 200);
  ASSERT_TRUE(h.wait_for_sidecar(
      [](const std::string& hosts) { return hosts.find("dest-0.default.svc.cluster.local") != std::string::npos; },
      std::chrono::seconds(5)));

  auto reply = svf_reset(h.handle(), "default", "caller");
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body, "succeed\n");
  // The learned dependency is gone from the status and the Sidecar shrinks back to its static part.
  ASSERT_TRUE(h.wait_for_sidecar(
      [](const std::string& hosts) {
        return hosts.find("dest-0.default.svc.cluster.local") == std::string::npos &&
               hosts.find("istio-system/*") != std::string::npos;
      },
      std::chrono::seconds(5)))
      << h.sidecar_hosts();
  EXPECT_FALSE(h.fence_status().contains("metricStatus")) << h.fence_status().dump();

  // A new call is learned again.
  ASSERT_EQ(c.request(get("dest-0.default", "/hello")).status, 200);
  ASSERT_TRUE(h.wait_for_sidecar(
      [](const std::string& hosts) { return hosts.find("dest-0.default.svc.cluster.local") != std::string::npos; },
      std::chrono::seconds(5)));
}

TEST(LearningLoop, RefusedDestinationsAreNeitherForwardedNorLearned) {
  LearningHarness h(1);
  ASSERT_TRUE(h.start()) << h.error();
  HttpClient c(h.proxy_port(), kCallerIp);
  auto r = c.request(get("www.example.com", "/"));
  EXPECT_EQ(r.status, 403);
  r = c.request(get("dest-0.default", "/hello"));  // a real call afterwards, to know reporting is through
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(h.wait_for_sidecar(
      [](const std::string& hosts) { return hosts.find("dest-0.default.svc.cluster.local") != std::string::npos; },
      std::chrono::seconds(5)));
  EXPECT_EQ(h.sidecar_hosts().find("example.com"), std::string::npos);
}

}  // namespace
}  // namespace slime::learning

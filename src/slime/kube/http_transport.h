#pragma once
// libcurl underneath the API client. Keeps a pool of easy handles so keep-alive connections (and
// their TLS sessions) are reused across requests and threads; one handle serves one request at a time.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "slime/kube/api_error.h"
#include "slime/kube/cluster_config.h"

namespace slime::kube {

struct HttpRequest {
  HttpRequest(std::string m, std::string p, std::string b = {}, std::string ct = {}, long timeout = 60000)
      : method(std::move(m)), path(std::move(p)), body(std::move(b)), content_type(std::move(ct)), timeout_ms(timeout) {}
  std::string method = "GET";
  std::string path;          // absolute path plus query, e.g. "/api/v1/pods?limit=500"
  std::string body;
  std::string content_type;  // for body; "application/json" by default
  long timeout_ms = 60000;   // whole-request timeout; 0 = none (watch streams)
  std::string accept;        // the Accept header; "application/json" by default
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

class HttpTransport {
 public:
  explicit HttpTransport(ClusterConfig config);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // A transport failure (no HTTP answer) is an ApiError with code 0; any HTTP status is a response.
  ApiResult<HttpResponse> perform(const HttpRequest& req);

  // Streams a 2xx body to on_data as it arrives. on_data returning false, or *cancel becoming true,
  // ends the transfer cleanly (the result is then a response with the status, empty body).
  // Non-2xx bodies are collected and returned like perform().
  ApiResult<HttpResponse> stream(const HttpRequest& req, const std::function<bool(std::string_view)>& on_data,
                                 const std::atomic<bool>* cancel);

  const ClusterConfig& config() const { return config_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> h);
  ApiResult<HttpResponse> run(const HttpRequest& req, const std::function<bool(std::string_view)>* on_data,
                              const std::atomic<bool>* cancel);

  ClusterConfig config_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace slime::kube

#include "slime/kube/http_transport.h"

#include <curl/curl.h>

#include <fstream>
#include <mutex>
#include <sstream>

namespace slime::kube {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string read_token(const std::string& file) {
  std::ifstream in(file);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

struct Transfer {
  const std::function<bool(std::string_view)>* on_data = nullptr;
  const std::atomic<bool>* cancel = nullptr;
  CURL* curl = nullptr;
  std::string body;
  bool aborted_by_callback = false;
  bool streaming = false;  // decided once the status line is known
};

size_t write_cb(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  size_t n = size * nmemb;
  if (t->on_data) {
    long code = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300) {
      if (!(*t->on_data)(std::string_view(ptr, n))) {
        t->aborted_by_callback = true;
        return 0;  // makes curl stop with CURLE_WRITE_ERROR
      }
      return n;
    }
  }
  t->body.append(ptr, n);
  return n;
}

// Called at least about once a second, also while a watch stream is idle: the cancellation point.
int progress_cb(void* userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(userdata);
  if (t->cancel && t->cancel->load()) {
    t->aborted_by_callback = true;
    return 1;
  }
  return 0;
}

}  // namespace

struct HttpTransport::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

HttpTransport::HttpTransport(ClusterConfig config) : config_(std::move(config)) { global_init(); }

HttpTransport::~HttpTransport() = default;

std::unique_ptr<HttpTransport::Handle> HttpTransport::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->curl = curl_easy_init();
  return h;
}

void HttpTransport::release(std::unique_ptr<Handle> h) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(h));
}

ApiResult<HttpResponse> HttpTransport::perform(const HttpRequest& req) { return run(req, nullptr, nullptr); }

ApiResult<HttpResponse> HttpTransport::stream(const HttpRequest& req,
                                              const std::function<bool(std::string_view)>& on_data,
                                              const std::atomic<bool>* cancel) {
  return run(req, &on_data, cancel);
}

ApiResult<HttpResponse> HttpTransport::run(const HttpRequest& req,
                                           const std::function<bool(std::string_view)>* on_data,
                                           const std::atomic<bool>* cancel) {
  auto h = acquire();
  if (!h->curl) return api_fail(0, "", "curl_easy_init failed");
  CURL* c = h->curl;
  // reset keeps the connection cache and TLS session ids, which is the point of the pool.
  curl_easy_reset(c);

  Transfer t;
  t.on_data = on_data;
  t.cancel = cancel;
  t.curl = c;
  std::string url = config_.server + req.path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req.timeout_ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip lists are much smaller
  if (cancel) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  }

  // TLS
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_blob ca{}, cert{}, key{};
  if (!config_.ca_data.empty()) {
    ca = {const_cast<char*>(config_.ca_data.data()), config_.ca_data.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
  } else if (!config_.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  }
  if (!config_.client_cert_data.empty()) {
    cert = {const_cast<char*>(config_.client_cert_data.data()), config_.client_cert_data.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
  } else if (!config_.client_cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, config_.client_cert_file.c_str());
  }
  if (!config_.client_key_data.empty()) {
    key = {const_cast<char*>(config_.client_key_data.data()), config_.client_key_data.size(), CURL_BLOB_NOCOPY};
    curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  } else if (!config_.client_key_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLKEY, config_.client_key_file.c_str());
  }

  curl_slist* headers = nullptr;
  std::string accept = "Accept: " + (req.accept.empty() ? std::string("application/json") : req.accept);
  headers = curl_slist_append(headers, accept.c_str());
  std::string auth;
  std::string token = !config_.token_file.empty() ? read_token(config_.token_file) : config_.token;
  if (!token.empty()) {
    auth = "Authorization: Bearer " + token;
    headers = curl_slist_append(headers, auth.c_str());
  }
  std::string ctype;
  if (req.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (!req.body.empty() || req.method != "DELETE") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      ctype = "Content-Type: " + (req.content_type.empty() ? std::string("application/json") : req.content_type);
      headers = curl_slist_append(headers, ctype.c_str());
    }
  }
  headers = curl_slist_append(headers, "User-Agent: slime-cpp");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  release(std::move(h));

  if (rc != CURLE_OK && !(t.aborted_by_callback && code != 0))
    return api_fail(0, "", std::string(curl_easy_strerror(rc)) + " (" + req.method + " " + url + ")");
  return HttpResponse{code, std::move(t.body)};
}

}  // namespace slime::kube

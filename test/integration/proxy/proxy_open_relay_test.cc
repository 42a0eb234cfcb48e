// The proxy is never an open relay (issue #13): without a service list it refuses everything unless told
// --allow-any-destination; with one, only declared ports of mesh addresses are reached, never the API
// server; hop-by-hop fields stay on the client's hop; ambiguous framing is refused. Real HTTP on loopback.
#include <gtest/gtest.h>

#include "proxy_fixture.h"

namespace slime::proxy {
namespace {

std::string raw_get(const std::string& host, const std::string& path, const std::vector<std::string>& extra = {}) {
  std::string r = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n";
  for (const auto& h : extra) r += h + "\r\n";
  return r + "\r\n";
}

TEST(ProxyWithoutServiceList, RefusesEveryRequest) {
  HttpBackend web("web");
  ProxyOptions opts;
  opts.listen = {"127.0.0.1:0"};
  ProxyServer proxy(opts);
  ASSERT_TRUE(proxy.start());
  HttpClient c(proxy.ports()[0]);
  for (const auto& host : {"127.0.0.3:" + std::to_string(web.port()), std::string("localhost:22"),
                           std::string("www.example.com")}) {
    auto r = c.request(raw_get(host, "/hello"));
    EXPECT_EQ(r.status, 503) << host;
    EXPECT_NE(r.body.find("no service list"), std::string::npos) << r.body;
  }
  EXPECT_EQ(web.connections.load(), 0);
  proxy.stop();
}

TEST(ProxyWithoutServiceList, AllowAnyDestinationIsTheExplicitOptIn) {
  HttpBackend web("web");
  ProxyOptions opts;
  opts.listen = {"127.0.0.1:0"};
  opts.rules.allow_any_destination = true;
  ProxyServer proxy(opts);
  ASSERT_TRUE(proxy.start());
  HttpClient c(proxy.ports()[0]);
  auto r = c.request(raw_get("127.0.0.3:" + std::to_string(web.port()), "/hello"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello from web");
  proxy.stop();
}

class ProxyAllowListTest : public ProxyTest {};

TEST_F(ProxyAllowListTest, OrigDestAndHostPortReachOnlyDeclaredPorts) {
  // Another server on the web endpoint's IP: a port no Service declares (a pod's admin or debug port).
  HttpBackend secret("secret", "127.0.0.3");
  HttpClient c(port_);
  const std::string undeclared = "127.0.0.3:" + std::to_string(secret.port());
  auto r = c.request(raw_get("web.default", "/hello", {"Slime-Orig-Dest: " + undeclared}));
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("not declared"), std::string::npos) << r.body;
  r = c.request(raw_get(undeclared, "/hello"));
  EXPECT_EQ(r.status, 403);
  r = c.request(raw_get("web.default:" + std::to_string(secret.port()), "/hello"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(secret.connections.load(), 0);
  // The declared ones still work: the Service port (mapped to the endpoint) and the endpoint's target port.
  r = c.request(raw_get("web.default:80", "/hello"));
  EXPECT_EQ(r.status, 200);
  r = c.request(raw_get("web.default", "/hello", {"Slime-Orig-Dest: 127.0.0.3:" + std::to_string(web_->port())}));
  EXPECT_EQ(r.status, 200);
}

class ProxyWithApiServerTest : public ProxyTest {};

TEST_F(ProxyWithApiServerTest, TheKubernetesServiceIsNeverADestination) {
  // default/kubernetes with its endpoint on a real loopback server: still refused by name, cluster IP and endpoint.
  HttpBackend apiserver("apiserver", "127.0.0.7");
  store::MemoryStore mem;
  auto docs = core::parse_yaml_documents(
      "apiVersion: v1\nkind: Service\nmetadata: {name: kubernetes, namespace: default}\n"
      "spec: {clusterIP: 127.0.0.8, ports: [{name: https, port: 443}]}\n---\n"
      "apiVersion: v1\nkind: Endpoints\nmetadata: {name: kubernetes, namespace: default}\n"
      "subsets: [{addresses: [{ip: 127.0.0.7}], ports: [{name: https, port: " +
      std::to_string(apiserver.port()) + "}]}]\n");
  ASSERT_TRUE(docs.errors.empty());
  for (auto& d : docs.documents) mem.put(core::Object(d.json));
  proxy_->set_mesh(std::make_shared<const MeshIndex>(MeshIndex::build(mem)));
  HttpClient c(port_);
  for (const auto& host : {std::string("kubernetes.default:443"), std::string("kubernetes.default.svc.cluster.local:443"),
                           std::string("127.0.0.8:443"), "127.0.0.7:" + std::to_string(apiserver.port())}) {
    auto r = c.request(raw_get(host, "/api"));
    EXPECT_EQ(r.status, 403) << host;
  }
  auto r = c.request(raw_get("kubernetes:443", "/api", {"Slime-Source-Ns: default"}));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(apiserver.connections.load(), 0);
}

TEST_F(ProxyTest, HopByHopFieldsStayOnTheClientsHop) {
  HttpClient c(port_);
  auto r = c.request(raw_get("web.default", "/headers",
                             {"Connection: keep-alive, X-Hop-Secret", "X-Hop-Secret: s3cret", "Keep-Alive: timeout=5",
                              "TE: trailers", "Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Connection: keep-alive",
                              "Upgrade: h2c", "X-End-To-End: kept"}));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("x-end-to-end: kept\n"), std::string::npos) << r.body;
  for (const char* dropped : {"connection:", "x-hop-secret:", "keep-alive:", "te:", "proxy-authorization:",
                              "proxy-connection:", "upgrade:"})
    EXPECT_EQ(r.body.find(std::string("\n") + dropped), std::string::npos) << dropped << " in\n" << r.body;
  EXPECT_FALSE(r.body.starts_with("connection:")) << r.body;
  // The connection (to the client and upstream) is still keep-alive.
  r = c.request(raw_get("web.default", "/hello"));
  EXPECT_EQ(r.status, 200);
}

TEST_F(ProxyTest, TheUpstreamsHopByHopFieldsStayOnItsHop) {
  HttpClient c(port_);
  for (const char* path : {"/hop-fields", "/upstream-closes"}) {
    auto r = c.request(raw_get("web.default", path));
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "hop");
    EXPECT_EQ(r.headers["x-end-to-end"], "kept");
    EXPECT_EQ(r.headers["content-length"], "3");
    for (const char* dropped : {"connection", "keep-alive", "proxy-authenticate"})
      EXPECT_EQ(r.headers.count(dropped), 0u) << dropped << " reached the client after " << path;
    // X-Upstream-Hop is hop-by-hop only where the backend's Connection field names it.
    EXPECT_EQ(r.headers.count("x-upstream-hop"), std::string(path) == "/hop-fields" ? 0u : 1u) << path;
  }
  // The backend closing its connection does not close the client's: the same connection goes on.
  auto r = c.request(raw_get("web.default", "/hello"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello from web");
  // A client that says close gets Connection: close and then the end of the connection.
  r = c.request(raw_get("web.default", "/hop-fields", {"Connection: close"}));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["connection"], "close");
  EXPECT_TRUE(c.closed_by_peer(2000));
}

TEST_F(ProxyTest, TransferEncodingWithContentLengthIs400) {
  for (const char* te : {"chunked", "gzip"}) {
    HttpClient c(port_);
    auto r = c.request(std::string("POST /echo HTTP/1.1\r\nHost: web.default\r\nTransfer-Encoding: ") + te +
                       "\r\nContent-Length: 5\r\n\r\n0\r\n\r\n");
    EXPECT_EQ(r.status, 400) << te;
    EXPECT_TRUE(c.closed_by_peer(2000));
  }
  EXPECT_EQ(web_->connections.load(), 0);
}

}  // namespace
}  // namespace slime::proxy

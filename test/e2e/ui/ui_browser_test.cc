// The mesh view as a user meets it: `slime run --state-dir --ui` on the proxy example mesh, the page open in
// headless Chromium, a call through `slime proxy` teaching productpage a dependency, and the new edge showing
// up in the same, still-open page through its own polling. Hostile names (markup and quotes in a namespace,
// a Service name, a label value) must come back exactly in the JSON and appear only as text in the DOM.
// Without --ui the paths do not exist. A screenshot of the page is left under the build folder.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>

#include "chromium.h"
#include "free_port.h"
#include "slime/core/base64.h"
#include "slime/core/json.h"
#include "slime_process.h"

namespace {
namespace fs = std::filesystem;
using slime::core::Json;
using namespace std::chrono_literals;

const std::string kHostileNs = "evil\"ns<script>window.__pwned=1</script>";
const std::string kHostileSvc = "svc'<img src=x onerror=window.__pwned=2>";
const std::string kHostileLabel = "<b onmouseover=window.__pwned=3>bold</b>\"";

// "details": answers every request with 200 on 127.0.0.3 (the example's Endpoints point here once patched).
class DetailsBackend {
 public:
  DetailsBackend() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.3"), 0}) {
    thread_ = std::thread([this] {
      for (;;) {
        boost::system::error_code ec;
        boost::asio::ip::tcp::socket s(io_);
        acceptor_.accept(s, ec);
        if (ec || stop_) return;
        boost::asio::streambuf head;
        boost::asio::read_until(s, head, "\r\n\r\n", ec);
        const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\ndetails\n";
        boost::asio::write(s, boost::asio::buffer(reply), ec);
      }
    });
  }
  ~DetailsBackend() {
    stop_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);  // wakes accept()
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An HTTP request through the proxy from productpage's pod address, as its Envoy would send an unknown host.
int call_from_productpage(int proxy_port) {
  namespace http = boost::beast::http;
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket sock(io);
    sock.open(boost::asio::ip::tcp::v4());
    sock.bind({boost::asio::ip::make_address("127.0.0.2"), 0});
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(proxy_port)});
    http::request<http::string_body> req{http::verb::get, "/", 11};
    req.set(http::field::host, "details:9080");
    req.set("Slime-Source-Ns", "default");
    http::write(sock, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> resp;
    http::read(sock, buf, resp);
    return static_cast<int>(resp.result_int());
  } catch (const std::exception&) {
    return 0;
  }
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(250ms);
  }
  return done();
}

class UiBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = fs::temp_directory_path() / ("slime-ui-" + std::to_string(::getpid()));
    fs::remove_all(work_);
    fs::create_directories(work_ / "state");
    // The proxy example's mesh, with details served by this test's backend instead of a fixed port.
    std::string mesh = slime::testing::slurp(fs::path(SLIME_SOURCE_DIR) / "examples/proxy/mesh.yaml");
    mesh = std::regex_replace(mesh, std::regex(R"(\{ip: 127\.0\.0\.1\}\]\n  ports: \[\{name: http, port: 8000\}\])"),
                              "{ip: 127.0.0.3}]\n  ports: [{name: http, port: " + std::to_string(backend_.port()) + "}]");
    ASSERT_NE(mesh.find(std::to_string(backend_.port())), std::string::npos) << "examples/proxy/mesh.yaml changed shape";
    std::ofstream(work_ / "state/mesh.yaml") << mesh;
    // A static dependency (as in examples/lazyload/fences.yaml) and the hostile names, as JSON documents.
    std::vector<Json> extra = {
        Json::parse(R"({"apiVersion":"microservice.slime.io/v1alpha1","kind":"ServiceFence",
          "metadata":{"name":"tester","namespace":"tools"},
          "spec":{"enable":true,"host":{"productpage.default.svc.cluster.local":{"stable":{}}},
                  "workloadSelector":{"labels":{"app":"tester"}}}})"),
        Json{{"apiVersion", "v1"}, {"kind", "Service"},
             {"metadata", {{"name", kHostileSvc}, {"namespace", kHostileNs}}},
             {"spec", {{"ports", Json::array({Json{{"port", 80}}})}}}},
        Json{{"apiVersion", "microservice.slime.io/v1alpha1"}, {"kind", "PluginManager"},
             {"metadata", {{"name", "hostile-labels"}, {"namespace", "default"}}},
             {"spec", {{"workloadLabels", {{"app", kHostileLabel}}}, {"plugin", Json::array({Json{{"name", "envoy.filters.http.cors"}, {"enable", true}}})}}}}};
    std::ofstream out(work_ / "state/extra.yaml");
    for (const auto& d : extra) out << "---\n" << d.dump() << "\n";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(work_);
    else std::cerr << "kept " << work_ << " (logs of slime run, slime proxy, chromium)\n";
  }

  // slime run on the state folder; returns its admin port once /readyz answers 200.
  int start_run(slime::testing::SlimeProcess& run, bool ui, const std::string& log, int als_port) {
    int admin = slime::testing::free_port_below_ephemeral();
    std::vector<std::string> args{"run", "--state-dir", (work_ / "state").string(), "--config",
                                  std::string(SLIME_SOURCE_DIR) + "/examples/proxy/lazyload.cfg",
                                  "--admin-addr", "127.0.0.1:" + std::to_string(admin),
                                  "--als-addr", als_port ? "127.0.0.1:" + std::to_string(als_port) : "off"};
    if (ui) args.push_back("--ui");
    run.start(args, work_ / log);
    bool ready = wait_for([&] { return slime::testing::http_get(admin, "/readyz").status == 200; }, 20s);
    EXPECT_TRUE(ready) << run.log();
    return admin;
  }

  DetailsBackend backend_;
  fs::path work_;
};

TEST_F(UiBrowser, PageShowsTheMeshAndANewlyLearnedEdgeLive) {
  const std::string chromium = slime::testing::chromium_binary();
  ASSERT_FALSE(chromium.empty()) << "chromium is not installed: scripts/setup.sh installs the Debian package";

  slime::testing::SlimeProcess run, proxy;
  const int als = slime::testing::free_port_below_ephemeral();
  const int admin = start_run(run, true, "run.log", als);
  ASSERT_FALSE(HasFailure());
  const int proxy_port = slime::testing::free_port_below_ephemeral();
  proxy.start({"proxy", "--listen", "127.0.0.1:" + std::to_string(proxy_port), "--state-dir", (work_ / "state").string(),
               "--report", "127.0.0.1:" + std::to_string(als), "--wormhole-configmap", "off"},
              work_ / "proxy.log");

  // The JSON API: the hostile names come back exactly (JSON escaping, not HTML mangling).
  auto api = slime::testing::http_get(admin, "/api/v1/graph");
  ASSERT_EQ(api.status, 200) << api.body;
  auto graph = Json::parse(api.body);
  bool hostile_found = false;
  for (const auto& n : graph["nodes"]) hostile_found |= n["id"] == kHostileNs + "/" + kHostileSvc;
  EXPECT_TRUE(hostile_found) << api.body;
  auto modules = Json::parse(slime::testing::http_get(admin, "/api/v1/modules").body);
  bool label_found = false;
  for (const auto& pm : modules["pluginManagers"]) label_found |= pm["workloadLabels"].value("app", "") == kHostileLabel;
  EXPECT_TRUE(label_found) << modules.dump();

  const std::string url = "http://127.0.0.1:" + std::to_string(admin) + "/ui";
  slime::testing::Chromium browser(chromium, url, work_ / "chromium");
  auto err = browser.connect("/ui");
  ASSERT_TRUE(err.empty()) << err;

  const std::string nodes_js = "[...document.querySelectorAll('#graph g.node')].map(g => g.dataset.id)";
  const std::string edges_js =
      "[...document.querySelectorAll('#edges tbody tr')].map(r => ({from: r.dataset.from, to: r.dataset.to, "
      "via: r.dataset.via, isNew: r.classList.contains('new')}))";
  Json nodes;
  ASSERT_TRUE(wait_for([&] {
    nodes = browser.eval(nodes_js);
    return nodes.is_array() && !nodes.empty();
  }, 20s)) << nodes.dump() << browser.log();
  std::set<std::string> ids;
  for (const auto& n : nodes) ids.insert(n.get<std::string>());
  for (const char* want : {"default/productpage", "default/details", "tools/tester"}) EXPECT_TRUE(ids.count(want)) << want << " in " << nodes.dump();
  EXPECT_TRUE(ids.count(kHostileNs + "/" + kHostileSvc)) << nodes.dump();

  auto has_edge = [](const Json& edges, const std::string& from, const std::string& to, const std::string& via, bool is_new) {
    for (const auto& e : edges)
      if (e["from"] == from && e["to"] == to && e["via"] == via && e["isNew"] == is_new) return true;
    return false;
  };
  Json edges = browser.eval(edges_js);
  EXPECT_TRUE(has_edge(edges, "tools/tester", "default/productpage", "static", false)) << edges.dump();
  EXPECT_FALSE(has_edge(edges, "default/productpage", "default/details", "accesslog", true)) << "learned before the call";

  // The learning call: productpage (127.0.0.2) asks for details through the global sidecar.
  int status = 0;
  EXPECT_TRUE(wait_for([&] { return (status = call_from_productpage(proxy_port)) == 200; }, 15s))
      << "proxy answered " << status << "\n" << proxy.log();

  // The same page, not reloaded: its poll brings the edge, marked as learned since it opened.
  EXPECT_TRUE(wait_for([&] {
    edges = browser.eval(edges_js);
    return has_edge(edges, "default/productpage", "default/details", "accesslog", true);
  }, 20s)) << edges.dump() << "\n" << run.log();
  EXPECT_EQ(browser.eval("document.body.dataset.graphLoads === '1'"), false) << "the page did not redraw from its poll";

  // Hostile names are text: no element came from them, no handler ran, and the text is shown verbatim.
  EXPECT_EQ(browser.eval("typeof window.__pwned"), "undefined");
  EXPECT_EQ(browser.eval("document.querySelectorAll('img, b').length"), 0);
  EXPECT_EQ(browser.eval("document.querySelectorAll('script').length"), 1);
  for (const auto& s : {kHostileNs, kHostileSvc, kHostileLabel}) {
    EXPECT_EQ(browser.eval("document.body.textContent.includes(" + Json(s).dump() + ")"), true) << s;
  }
  EXPECT_EQ(browser.eval("document.querySelector('#plugins').textContent.includes(" + Json("app=" + kHostileLabel).dump() + ")"), true);

  // The screenshot, as a test artifact.
  auto shot = browser.call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
  auto png = slime::core::base64_decode(shot.value("data", ""));
  ASSERT_TRUE(png && png->size() > 1000) << shot.dump().substr(0, 300);
  fs::path artifacts = fs::path(SLIME_BINARY_DIR) / "test-artifacts";
  fs::create_directories(artifacts);
  std::ofstream(artifacts / "ui.png", std::ios::binary) << *png;
  std::cout << "screenshot: " << (artifacts / "ui.png").string() << "\n";
  RecordProperty("screenshot", (artifacts / "ui.png").string());
}

TEST_F(UiBrowser, WithoutUiThePathsDoNotExistAndWithItTheyAreReadOnly) {
  {
    slime::testing::SlimeProcess run;
    const int admin = start_run(run, false, "run-off.log", 0);
    for (const char* path : {"/ui", "/api/v1/graph", "/api/v1/modules"})
      EXPECT_EQ(slime::testing::http_get(admin, path).status, 404) << path;
  }
  slime::testing::SlimeProcess run;
  const int admin = start_run(run, true, "run-on.log", 0);
  EXPECT_EQ(slime::testing::http_get(admin, "/ui").status, 200);
  EXPECT_EQ(slime::testing::http_get(admin, "/api/v1/graph?namespace=tools").status, 200);
  // Read-only: anything but GET/HEAD is refused.
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket sock(io);
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(admin)});
  http::request<http::string_body> req{http::verb::post, "/api/v1/graph", 11};
  req.set(http::field::host, "127.0.0.1");
  req.prepare_payload();
  http::write(sock, req);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> resp;
  http::read(sock, buf, resp);
  EXPECT_EQ(resp.result_int(), 405u);
}

TEST_F(UiBrowser, UiWithoutADebugListenerIsAStartError) {
  const fs::path log = work_ / "run-no-debug.log";
  const std::string cmd = std::string(SLIME_BINARY_DIR) + "/bin/slime run --state-dir " + (work_ / "state").string() +
                          " --admin-addr 127.0.0.1:0 --debug-addr off --als-addr off --ui >" + log.string() + " 2>&1";
  const int raw = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(raw) && WEXITSTATUS(raw) == 1) << raw;
  EXPECT_NE(slime::testing::slurp(log).find("--ui serves the page on the debug listener, which is off"), std::string::npos)
      << slime::testing::slurp(log);
}

}  // namespace

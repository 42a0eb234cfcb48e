#pragma once
// A headless Chromium the test starts and ends itself (its own process group, a fresh profile), and a
// minimal DevTools protocol client: JSON commands over the page target's WebSocket (Boost.Beast), so the
// test reads the DOM of one live page while the page keeps polling — what a user leaving the tab open sees.
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "slime/core/json.h"
#include "slime_process.h"  // http_get

namespace slime::testing {

// The Debian package's binary, or $SLIME_CHROMIUM. Empty when neither exists.
inline std::string chromium_binary() {
  if (const char* env = std::getenv("SLIME_CHROMIUM"); env && *env) return env;
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (std::filesystem::exists(p)) return p;
  return {};
}

class Chromium {
 public:
  Chromium(const std::string& binary, const std::string& url, const std::filesystem::path& work) : profile_(work / "profile") {
    std::filesystem::create_directories(profile_);
    log_ = work / "chromium.log";
    std::vector<std::string> args{binary,
                                  "--headless",
                                  "--no-sandbox",
                                  "--disable-gpu",
                                  "--disable-quic",
                                  "--no-first-run",
                                  "--disable-background-networking",
                                  "--disable-component-update",
                                  "--disable-sync",
                                  "--user-data-dir=" + profile_.string(),
                                  "--remote-debugging-address=127.0.0.1",
                                  "--remote-debugging-port=0",
                                  "--window-size=1280,960",
                                  url};
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);  // the browser's helpers join its group: the destructor ends them all
      FILE* f = std::freopen(log_.c_str(), "w", stderr);
      (void)f;
      dup2(fileno(stderr), fileno(stdout));
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(args[0].c_str(), argv.data());
      _exit(127);
    }
  }
  ~Chromium() {
    ws_.reset();
    if (pid_ > 0) {
      ::kill(-pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ::kill(-pid_, SIGKILL);
      waitpid(pid_, &status, WNOHANG);
    }
  }

  // Connects to the page showing `url_part` (the DevTools port is in the profile's DevToolsActivePort).
  // Returns an error text, empty on success.
  std::string connect(const std::string& url_part, std::chrono::seconds within = std::chrono::seconds(30)) {
    auto deadline = std::chrono::steady_clock::now() + within;
    std::string last = "no DevToolsActivePort";
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream in(profile_ / "DevToolsActivePort");
      int port = 0;
      if (in >> port && port > 0) {
        try {
          auto pages = core::Json::parse(http_get(port, "/json/list").body);
          for (const auto& p : pages)
            if (p.value("type", "") == "page" && p.value("url", "").find(url_part) != std::string::npos) {
              std::string ws = p.value("webSocketDebuggerUrl", "");
              auto path = ws.substr(ws.find('/', ws.find("//") + 2));
              open_ws(port, path);
              return {};
            }
          last = "no page for " + url_part + " in " + pages.dump();
        } catch (const std::exception& e) {
          last = e.what();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return last + "\n" + log();
  }

  // One DevTools command; returns its `result` (or {"error": ...}). Throws on a broken connection.
  core::Json call(const std::string& method, core::Json params = core::Json::object()) {
    const int id = ++next_id_;
    ws_->write(boost::asio::buffer(core::Json{{"id", id}, {"method", method}, {"params", std::move(params)}}.dump()));
    for (;;) {
      boost::beast::flat_buffer buf;
      ws_->read(buf);  // bounded by SO_RCVTIMEO
      auto msg = core::Json::parse(boost::beast::buffers_to_string(buf.data()));
      if (msg.value("id", 0) != id) continue;  // events and other answers
      if (msg.contains("error")) return core::Json{{"error", msg["error"]}};
      return msg["result"];
    }
  }

  // The value of a JavaScript expression evaluated in the page (JSON-serialisable).
  core::Json eval(const std::string& expression) {
    auto r = call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}});
    if (r.contains("exceptionDetails")) return core::Json{{"exception", r["exceptionDetails"]}};
    return r.contains("result") && r["result"].contains("value") ? r["result"]["value"] : core::Json();
  }

  std::string log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  using Ws = boost::beast::websocket::stream<boost::asio::ip::tcp::socket>;

  void open_ws(int port, const std::string& path) {
    ws_ = std::make_unique<Ws>(io_);
    auto& sock = ws_->next_layer();
    sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    timeval tv{10, 0};  // no DevTools answer takes this long; a hung browser fails the test instead of hanging it
    setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ws_->read_message_max(64 << 20);  // screenshots arrive as one base64 message
    ws_->handshake("127.0.0.1:" + std::to_string(port), path);
  }

  std::filesystem::path profile_, log_;
  pid_t pid_ = -1;
  boost::asio::io_context io_;
  std::unique_ptr<Ws> ws_;
  int next_id_ = 0;
};

}  // namespace slime::testing

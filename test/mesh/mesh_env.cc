#include "mesh_env.h"

#include <arpa/inet.h>
#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "slime/core/yaml.h"
#include "slime/kube/cluster_config.h"

#ifndef SLIME_SOURCE_DIR
#error "SLIME_SOURCE_DIR must be defined by the build"
#endif
#ifndef SLIME_BINARY_DIR
#error "SLIME_BINARY_DIR must be defined by the build"
#endif

namespace slime::mesh {
namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> read_env_file(const fs::path& p) {
  std::map<std::string, std::string> out;
  std::istringstream in(slurp(p));
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

std::string join_kv(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

Json labels_json(const std::map<std::string, std::string>& m) {
  Json out = Json::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}
}  // namespace

// ---- Child ----------------------------------------------------------------------------------------

core::Result<void> Child::start(const std::string& binary, const std::vector<std::string>& args,
                                const fs::path& log) {
  if (access(binary.c_str(), X_OK) != 0) return core::fail(binary + " is missing or not executable");
  log_ = log;
  // The child's freopen would otherwise flush a copy of our buffered output into our stdout.
  std::fflush(nullptr);
  pid_ = fork();
  if (pid_ < 0) return core::fail("fork failed");
  if (pid_ == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    dup2(fileno(stdout), fileno(stderr));
    std::vector<std::string> all{binary};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return {};
}

std::string Child::wait_for_log(const std::string& pattern, std::chrono::milliseconds wait) const {
  std::regex re(pattern);
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string text = slurp(log_);
    if (std::regex_search(text, m, re)) return m.size() > 1 ? m[1].str() : m[0].str();
    if (!running()) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

bool Child::running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

void Child::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 200 && !exited; ++i) {
    exited = waitpid(pid_, &status, WNOHANG) == pid_;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (!exited) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

std::string Child::log() const { return slurp(log_); }

// ---- HTTP -----------------------------------------------------------------------------------------

HttpResult http_request(int port, const std::string& method, const std::string& target,
                        const std::map<std::string, std::string>& headers, const std::string& body) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  timeval tv{60, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {};
  }
  // HTTP/1.1 with Connection: close and a Content-Length: the reply ends with the connection. Go's
  // server answers HTTP/1.0 clients without chunking, so ask in 1.0 unless a Host is given (a proxy call).
  const bool proxied = headers.count("Host") > 0;
  std::string req = method + " " + target + (proxied ? " HTTP/1.1\r\n" : " HTTP/1.0\r\nHost: 127.0.0.1\r\n");
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  for (size_t sent = 0; sent < req.size();) {
    ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return {};
    }
    sent += static_cast<size_t>(n);
  }
  std::string resp;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
    if (resp.size() > (512u << 20)) break;  // bounded: a config dump at 5,000 services is tens of MB
  }
  ::close(fd);
  HttpResult out;
  if (resp.rfind("HTTP/1.", 0) != 0 || resp.size() < 12) return out;
  out.status = std::atoi(resp.c_str() + 9);
  auto split = resp.find("\r\n\r\n");
  if (split != std::string::npos) out.body = resp.substr(split + 4);
  return out;
}

// ---- LoopbackHttpServer ---------------------------------------------------------------------------

LoopbackHttpServer::LoopbackHttpServer() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 64) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return;  // port() stays 0: the caller's check fails with a clear message
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LoopbackHttpServer::~LoopbackHttpServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void LoopbackHttpServer::serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int c = ::accept(fd_, nullptr, nullptr);
    if (c < 0) continue;
    timeval tv{5, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos && req.size() < 65536) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    static const std::string kReply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    (void)::send(c, kReply.data(), kReply.size(), MSG_NOSIGNAL);
    ::close(c);
  }
}

// ---- Probe ----------------------------------------------------------------------------------------

core::Result<void> Probe::start(const std::string& xds_addr, const Options& o, const fs::path& log) {
  std::vector<std::string> args{"--xds",       xds_addr,  "--type",      o.type,  "--namespace", o.ns,
                                "--pod",       o.pod,     "--ip",        o.ip,    "--count",     std::to_string(o.count),
                                "--control",   "127.0.0.1:0"};
  if (!o.labels.empty()) args.insert(args.end(), {"--labels", join_kv(o.labels)});
  if (!o.meta.empty()) args.insert(args.end(), {"--meta", join_kv(o.meta)});
  if (o.delta) args.push_back("--delta");
  if (auto r = child_.start(MeshEnv::probe_binary(), args, log); !r) return r;
  std::string port = child_.wait_for_log("control=([0-9]+)", std::chrono::seconds(20));
  if (port.empty()) return core::fail("xds-probe " + o.pod + " did not start: " + child_.log());
  port_ = std::stoi(port);
  return {};
}

core::Result<Json> Probe::get(const std::string& target) const {
  auto r = http_request(port_, "GET", target);
  if (r.status != 200) return core::fail("probe GET " + target + ": status " + std::to_string(r.status) + " " + r.body);
  try {
    return Json::parse(r.body);
  } catch (const std::exception& e) {
    return core::fail("probe GET " + target + ": not JSON: " + e.what());
  }
}

core::Result<Json> Probe::wait(const std::vector<std::string>& conditions, std::chrono::milliseconds timeout,
                               const std::string& proxy) const {
  std::string target = "/wait?proxy=" + proxy + "&timeout_ms=" + std::to_string(timeout.count());
  for (const auto& c : conditions) {
    std::string enc;
    for (unsigned char ch : c) {
      if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') enc += static_cast<char>(ch);
      else {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", ch);
        enc += hex;
      }
    }
    target += "&cond=" + enc;
  }
  auto r = http_request(port_, "GET", target);
  if (r.status == 200) {
    try {
      return Json::parse(r.body);
    } catch (const std::exception& e) {
      return core::fail(std::string("probe /wait: not JSON: ") + e.what());
    }
  }
  return core::fail("condition did not hold within " + std::to_string(timeout.count()) + " ms: " + r.body);
}

core::Result<Json> Probe::config(const std::string& type, int proxy) const {
  auto all = get("/config?proxy=" + std::to_string(proxy) + "&type=" + type);
  if (!all) return all;
  return all->value(type, Json::array());
}

core::Result<Json> Probe::chains(int proxy) const { return get("/chains?proxy=" + std::to_string(proxy)); }

// ---- MeshEnv --------------------------------------------------------------------------------------

std::string MeshEnv::probe_binary() { return std::string(SLIME_SOURCE_DIR) + "/tools/istiod/bin/xds-probe"; }
std::string MeshEnv::slime_binary() { return std::string(SLIME_BINARY_DIR) + "/bin/slime"; }

core::Result<std::unique_ptr<MeshEnv>> MeshEnv::start() {
  auto env = std::unique_ptr<MeshEnv>(new MeshEnv());
  auto server = testing::EnvtestServer::start_private();
  if (!server) return std::unexpected(server.error());
  env->server_ = std::move(*server);
  env->kubeconfig_ = env->server_->kubeconfig();
  auto cfg = kube::load_kubeconfig(env->kubeconfig_);
  if (!cfg) return std::unexpected(cfg.error());
  env->client_ = std::make_unique<kube::Client>(*cfg);

  std::vector<fs::path> crds{fs::path(SLIME_SOURCE_DIR) / "tools/envtest/bin/istio-crds.yaml"};
  for (auto& e : fs::directory_iterator(fs::path(SLIME_SOURCE_DIR) / "api/crds"))
    if (e.path().extension() == ".yaml" && e.path().filename() != "kustomization.yaml") crds.push_back(e.path());
  for (auto& f : crds)
    if (auto r = testing::EnvtestServer::install_crds(*env->client_, f.string()); !r) return std::unexpected(r.error());
  for (const char* ns : {"istio-system", "mesh-operator"})
    if (auto r = env->ensure_namespace(ns); !r) return std::unexpected(r.error());

  std::string cmd = std::string(SLIME_SOURCE_DIR) + "/tools/istiod/start.sh " + env->dir() + " " + env->kubeconfig_;
  if (int rc = std::system(cmd.c_str()); rc != 0) return core::fail(cmd + " failed with status " + std::to_string(rc));
  auto ports = read_env_file(fs::path(env->dir()) / "istiod.env");
  env->xds_port_ = std::atoi(ports["ISTIOD_XDS_PORT"].c_str());
  env->http_port_ = std::atoi(ports["ISTIOD_HTTP_PORT"].c_str());
  env->monitoring_port_ = std::atoi(ports["ISTIOD_MONITORING_PORT"].c_str());
  if (!env->xds_port_ || !env->http_port_) return core::fail("istiod.env has no ports");
  return env;
}

MeshEnv::~MeshEnv() {
  if (server_) {
    std::string cmd = std::string(SLIME_SOURCE_DIR) + "/tools/istiod/stop.sh " + server_->dir();
    (void)std::system(cmd.c_str());
  }
}

std::string MeshEnv::istiod_log() const { return slurp(fs::path(server_->dir()) / "istiod.log"); }

core::Result<void> MeshEnv::apply_yaml(const std::string& yaml) {
  auto parsed = core::parse_yaml_documents(yaml, "mesh test input");
  if (!parsed.errors.empty()) return std::unexpected(parsed.errors.front());
  for (auto& d : parsed.documents) {
    if (!d.json.is_object()) continue;
    auto obj = core::Object::from_json(d.json);
    if (!obj) return std::unexpected(obj.error());
    auto applied = client_->apply(*obj, true, "mesh-test");
    if (!applied) return core::fail("apply " + obj->ref() + ": " + applied.error().str());
    if (d.json.contains("status") && d.json["status"].is_object()) {
      core::Object st(obj->api_version(), obj->kind(), obj->ns(), obj->name());
      st.json()["status"] = d.json["status"];
      if (auto r = client_->apply_status(st, true, "mesh-test"); !r)
        return core::fail("status of " + obj->ref() + ": " + r.error().str());
    }
  }
  return {};
}

core::Result<void> MeshEnv::ensure_namespace(const std::string& ns, const std::map<std::string, std::string>& labels) {
  core::Object o("v1", "Namespace", "", ns);
  if (!labels.empty()) o.json()["metadata"]["labels"] = labels_json(labels);
  if (auto r = client_->apply(o, true, "mesh-test"); !r) return core::fail("namespace " + ns + ": " + r.error().str());
  return {};
}

core::Result<void> MeshEnv::add_workload(const Workload& w) {
  auto apply = [&](core::Object o) -> core::Result<void> {
    if (auto r = client_->apply(o, true, "mesh-test"); !r) return core::fail("apply " + o.ref() + ": " + r.error().str());
    return {};
  };
  if (w.with_pod) {
    core::Object pod("v1", "Pod", w.ns, w.name);
    pod.json()["metadata"]["labels"] = labels_json(w.labels);
    Json ports = Json::array();
    for (const auto& p : w.ports) ports.push_back({{"containerPort", p.target_port ? p.target_port : p.port}});
    pod.json()["spec"] = {{"containers", Json::array({{{"name", "app"}, {"image", "app:test"}, {"ports", ports}}})}};
    if (auto r = apply(pod); !r) return r;
    // What a kubelet reports for a started, ready pod: istiod matches a proxy to it by this IP.
    core::Object st("v1", "Pod", w.ns, w.name);
    st.json()["status"] = {{"phase", "Running"},
                           {"podIP", w.ip},
                           {"podIPs", Json::array({{{"ip", w.ip}}})},
                           {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}};
    if (auto r = client_->apply_status(st, true, "mesh-test"); !r) return core::fail("pod status: " + r.error().str());
  }
  if (w.ports.empty()) return {};
  core::Object svc("v1", "Service", w.ns, w.name);
  if (!w.service_labels.empty()) svc.json()["metadata"]["labels"] = labels_json(w.service_labels);
  Json sports = Json::array(), eports = Json::array();
  for (const auto& p : w.ports) {
    int target = p.target_port ? p.target_port : p.port;
    sports.push_back({{"name", p.name}, {"port", p.port}, {"targetPort", target}, {"protocol", "TCP"}});
    eports.push_back({{"name", p.name}, {"port", target}, {"protocol", "TCP"}});
  }
  svc.json()["spec"] = {{"selector", labels_json(w.labels)}, {"ports", sports}};
  if (w.with_service)
    if (auto r = apply(svc); !r) return r;

  Json target_ref = {{"kind", "Pod"}, {"namespace", w.ns}, {"name", w.name}};
  core::Object ep("v1", "Endpoints", w.ns, w.name);  // Slime's source index reads Endpoints
  Json address = {{"ip", w.ip}};
  if (w.with_pod) address["targetRef"] = target_ref;
  ep.json()["subsets"] = Json::array({{{"addresses", Json::array({address})}, {"ports", eports}}});
  if (auto r = apply(ep); !r) return r;

  core::Object slice("discovery.k8s.io/v1", "EndpointSlice", w.ns, w.name + "-slice");  // istiod reads these
  slice.json()["metadata"]["labels"] = {{"kubernetes.io/service-name", w.name},
                                        {"endpointslice.kubernetes.io/managed-by", "mesh-test"}};
  slice.json()["addressType"] = "IPv4";
  Json endpoint = {{"addresses", Json::array({w.ip})}, {"conditions", {{"ready", true}}}};
  if (w.with_pod) endpoint["targetRef"] = target_ref;
  slice.json()["endpoints"] = Json::array({endpoint});
  slice.json()["ports"] = eports;
  return apply(slice);
}

core::Result<int> MeshEnv::start_slime_run(Child& child, const std::string& config_yaml) {
  fs::path cfg = fs::path(dir()) / "slime.yaml";
  std::ofstream(cfg) << config_yaml;
  if (auto r = child.start(slime_binary(),
                           {"run", "--kubeconfig", kubeconfig_, "--config", cfg.string(), "--admin-addr", "127.0.0.1:0",
                            "--als-addr", "127.0.0.1:0"},
                           fs::path(dir()) / "slime-run.log");
      !r)
    return std::unexpected(r.error());
  std::string als = child.wait_for_log("access-log service listening addr=\\S+ port=([0-9]+)", std::chrono::seconds(30));
  if (als.empty()) return core::fail("slime run did not start its access-log service:\n" + child.log());
  return std::stoi(als);
}

core::Result<int> MeshEnv::start_slime_proxy(Child& child, const std::string& manifest_yaml, int als_port) {
  fs::path mesh_dir = fs::path(dir()) / "proxy-mesh";
  fs::create_directories(mesh_dir);
  std::ofstream(mesh_dir / "mesh.yaml") << manifest_yaml;
  if (auto r = child.start(slime_binary(),
                           {"proxy", "--listen", "127.0.0.1:0", "--state-dir", mesh_dir.string(), "--report",
                            "127.0.0.1:" + std::to_string(als_port), "--trust-forwarded-for", "--wormhole-configmap", "off"},
                           fs::path(dir()) / "slime-proxy.log");
      !r)
    return std::unexpected(r.error());
  std::string port = child.wait_for_log("proxy: listening addr=\\S+ port=([0-9]+)", std::chrono::seconds(30));
  if (port.empty()) return core::fail("slime proxy did not start:\n" + child.log());
  return std::stoi(port);
}

pid_t MeshEnv::istiod_pid() const {
  return static_cast<pid_t>(std::atoi(slurp(fs::path(server_->dir()) / "istiod.pid").c_str()));
}

core::Result<std::string> MeshEnv::istiod_metrics() const {
  auto r = http_request(monitoring_port_, "GET", "/metrics");
  if (r.status != 200) return core::fail("istiod /metrics: status " + std::to_string(r.status));
  return r.body;
}

core::Result<Json> MeshEnv::istiod_debug(const std::string& target) const {
  auto r = http_request(http_port_, "GET", target);
  if (r.status != 200) return core::fail("istiod " + target + ": status " + std::to_string(r.status) + " " + r.body);
  try {
    return Json::parse(r.body);
  } catch (const std::exception& e) {
    return core::fail("istiod " + target + ": not JSON: " + e.what());
  }
}

double metric_value(const std::string& text, const std::string& name, const std::vector<std::string>& labels) {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind(name, 0) != 0) continue;
    char next = line.size() > name.size() ? line[name.size()] : ' ';
    if (next != '{' && next != ' ') continue;
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (!all) continue;
    auto space = line.rfind(' ');
    if (space != std::string::npos) sum += std::atof(line.c_str() + space + 1);
  }
  return sum;
}

}  // namespace slime::mesh

#pragma once
// Shared pieces of the fault tests (issue #13, point 8): the objects they feed `slime run`, the end
// state they compare exactly (what Slime wrote, by its owner marks), a stopwatch whose readings are
// printed as figures (never asserted: docs/reliability.md quotes them), and etcd's own HTTP API for
// compaction. Header-only, like slime_process.h.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "envtest_server.h"
#include "slime/core/yaml.h"
#include "slime/kube/cluster_config.h"
#include "slime/store/owner_marks.h"
#include "slime_process.h"

namespace slime::testing::faults {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using core::Json;
using core::Object;

inline const core::Gvk kEnvoyFilter{"networking.istio.io", "v1alpha3", "EnvoyFilter"};
inline const core::Gvk kSidecar{"networking.istio.io", "v1alpha3", "Sidecar"};
inline const core::Gvk kServiceFence{"microservice.slime.io", "v1alpha1", "ServiceFence"};
inline const core::Gvk kSmartLimiter{"microservice.slime.io", "v1alpha2", "SmartLimiter"};
inline const core::Gvk kEnvoyPlugin{"microservice.slime.io", "v1alpha1", "EnvoyPlugin"};
inline const core::Gvk kPluginManager{"microservice.slime.io", "v1alpha1", "PluginManager"};
inline const core::Gvk kService{"", "v1", "Service"};
inline const core::Gvk kEvent{"", "v1", "Event"};

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One measured figure, on its own line so `ctest -V | grep '\[figure\]'` collects them for the docs.
inline void figure(const std::string& fault, const std::string& what, double value, const std::string& unit) {
  std::printf("[figure] %s | %s = %.2f %s\n", fault.c_str(), what.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

// Polls until pred holds (true) or the timeout passes (false); 50 ms steps so measured times are fine.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// Polls `pred` on its own thread from construction on and records the first time it held: measures a
// recovery that happens while the test's own thread is blocked (e.g. in an apiserver start script).
class FirstTime {
 public:
  explicit FirstTime(std::function<bool()> pred) : pred_(std::move(pred)), thread_([this] { run(); }) {}
  ~FirstTime() {
    stop_ = true;
    thread_.join();
  }
  // Waits until pred has held (true) or the timeout passes (false).
  bool wait(std::chrono::seconds timeout) {
    return wait_until([this] { return seen_.load(); }, timeout);
  }
  // Seconds from `from` to the first time pred held (negative: before `from`).
  double seconds_after(Clock::time_point from) const {
    return std::chrono::duration<double>(at_ - from).count();
  }

 private:
  void run() {
    while (!stop_ && !seen_) {
      if (pred_()) {
        at_ = Clock::now();
        seen_ = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::function<bool()> pred_;
  std::atomic<bool> stop_{false}, seen_{false};
  Clock::time_point at_{};
  std::thread thread_;
};

inline Object from_yaml(const std::string& yaml) {
  auto doc = core::parse_yaml(yaml);
  if (!doc) throw std::runtime_error(doc.error().str());
  auto obj = Object::from_json(*doc);
  if (!obj) throw std::runtime_error(obj.error().str());
  return *obj;
}

// A local rate limit of `quota` per second on pods labelled app=<name>; its EnvoyFilter is
// <name>.<ns>.ratelimit while `condition` holds. A quota such as "ten" is admitted by the CRD schema
// (a string) and refused by the module with the field's path.
inline Object smart_limiter(const std::string& ns, const std::string& name, const std::string& quota = "10",
                            const std::string& condition = "true") {
  return from_yaml("apiVersion: microservice.slime.io/v1alpha2\nkind: SmartLimiter\n"
                   "metadata: {name: " + name + ", namespace: " + ns + "}\n"
                   "spec:\n  workloadSelector: {app: " + name + "}\n"
                   "  sets:\n    _base:\n      descriptor:\n"
                   "      - action: {fill_interval: {seconds: 1}, quota: \"" + quota + "\", strategy: single}\n"
                   "        condition: \"" + condition + "\"\n        target: {}\n");
}

inline std::string limiter_filter(const std::string& ns, const std::string& name) { return name + "." + ns + ".ratelimit"; }

// A fault-injection plugin on one virtual host; its EnvoyFilter has the plugin's name.
inline Object envoy_plugin(const std::string& ns, const std::string& name) {
  return from_yaml("apiVersion: microservice.slime.io/v1alpha1\nkind: EnvoyPlugin\n"
                   "metadata: {name: " + name + ", namespace: " + ns + "}\n"
                   "spec:\n  host: [" + name + "." + ns + ".svc.cluster.local]\n"
                   "  plugins:\n  - {name: envoy.filters.http.fault, enable: true, "
                   "inline: {settings: {abort: {http_status: 503}}}}\n");
}

// A Service: lazyload's auto-fence gives it a ServiceFence and the fence a Sidecar, both named after it.
inline Object service(const std::string& ns, const std::string& name) {
  return from_yaml("apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns + "}\n"
                   "spec: {selector: {app: " + name + "}, ports: [{port: 80, targetPort: 80}]}\n");
}

// The three modules of `slime run` in Kubernetes mode, with nothing that needs Prometheus.
inline fs::path write_config(const fs::path& dir, const std::string& name) {
  fs::path p = dir / (name + "-config.yaml");
  std::ofstream(p) << "module:\n"
                      "- {name: limiter, kind: limiter, enable: true,\n"
                      "   general: {disableGlobalRateLimit: true, disableAdaptive: true}}\n"
                      "- {name: plugin, kind: plugin, enable: true}\n"
                      "- {name: lazyload, kind: lazyload, enable: true,\n"
                      "   general: {globalSidecar: {enable: false}, autoFence: true, defaultFence: true}}\n";
  return p;
}

inline std::vector<std::string> slime_args(const std::string& kubeconfig, const fs::path& config, const std::string& ns,
                                           std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"run", "--kubeconfig", kubeconfig, "--config", config.string(), "--namespace", ns,
                             "--admin-addr", "127.0.0.1:0", "--als-addr", "off"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// Names of the objects of `gvk` in `ns` that carry Slime's owner mark (what Slime wrote).
inline std::set<std::string> owned_names(kube::Client& c, const core::Gvk& gvk, const std::string& ns) {
  kube::ListOptions opts;
  opts.ns = ns;
  opts.label_selector = std::string(store::kOwnerModuleLabel);  // the label exists, any module
  auto listed = c.list(gvk, opts);
  std::set<std::string> out;
  if (!listed) return {"<list failed: " + listed.error().str() + ">"};
  for (auto& o : listed->items) out.insert(o.name());
  return out;
}

// What Slime wrote in one namespace, by kind, compared as a whole.
struct Outputs {
  std::set<std::string> filters, sidecars, fences;
  bool operator==(const Outputs&) const = default;
};

inline Outputs outputs(kube::Client& c, const std::string& ns) {
  return {owned_names(c, kEnvoyFilter, ns), owned_names(c, kSidecar, ns), owned_names(c, kServiceFence, ns)};
}

inline std::string describe(const Outputs& o) {
  auto list = [](const std::set<std::string>& s) {
    std::string r;
    for (auto& n : s) r += (r.empty() ? "" : ",") + n;
    return "[" + r + "]";
  };
  return "filters=" + list(o.filters) + " sidecars=" + list(o.sidecars) + " fences=" + list(o.fences);
}

// Expected objects missing from the live state: "objects lost".
inline size_t missing(const Outputs& want, const Outputs& got) {
  size_t n = 0;
  auto count = [&](const std::set<std::string>& w, const std::set<std::string>& g) {
    for (auto& x : w) n += g.count(x) ? 0 : 1;
  };
  count(want.filters, got.filters);
  count(want.sidecars, got.sidecars);
  count(want.fences, got.fences);
  return n;
}

// A Service per name, with its fence and Sidecar of the same name.
inline void add_fenced(Outputs& o, const std::vector<std::string>& services) {
  for (auto& s : services) {
    o.sidecars.insert(s);
    o.fences.insert(s);
  }
}

// The local-rate-limit tokens per fill in a limiter's EnvoyFilter (-1: none): shows which quota it carries.
inline long tokens_per_fill(kube::Client& c, const std::string& ns, const std::string& name) {
  auto ef = c.get(kEnvoyFilter, ns, name);
  if (!ef) return -1;
  std::string dump = ef->json().dump();
  const std::string key = "\"tokensPerFill\":";
  // The first bucket is the descriptor's; the last is the filter-wide default (100000).
  auto at = dump.find(key);
  return at == std::string::npos ? -1 : std::stol(dump.substr(at + key.size()));
}

inline void must(const kube::ApiResult<Object>& r, const std::string& what) {
  if (!r) throw std::runtime_error(what + ": " + r.error().str());
}

// The CRDs (once per program) and a namespace of the test's own.
inline void prepare(kube::Client& c, const std::string& ns) {
  static bool crds = false;
  if (!crds) {
    if (auto r = EnvtestServer::install_istio_and_slime_crds(c); !r) throw std::runtime_error(r.error().str());
    crds = true;
  }
  must(c.apply(Object("v1", "Namespace", "", ns), true, "fault-test"), "namespace " + ns);
}

// Applies objects from `threads` threads (each with its own client): setting up thousands of objects
// one request at a time would dominate the tier.
inline void apply_parallel(const std::string& kubeconfig, const std::vector<Object>& objects, int threads = 4) {
  std::vector<std::thread> pool;
  std::vector<std::string> errors(threads);
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      kube::Client c(kube::load_kubeconfig(kubeconfig).value());
      for (size_t i = t; i < objects.size(); i += threads)
        if (auto r = c.apply(objects[i], true, "fault-test"); !r && errors[t].empty())
          errors[t] = objects[i].ref() + ": " + r.error().str();
    });
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (!e.empty()) throw std::runtime_error("apply failed: " + e);
}

// POST of a JSON body to etcd's HTTP gateway (plain HTTP on loopback); the response body, or "" on failure.
inline std::string etcd_post(const std::string& etcd_url, const std::string& target, const std::string& body) {
  int port = std::stoi(etcd_url.substr(etcd_url.rfind(':') + 1));
  return http_call(port, boost::beast::http::verb::post, target, body, "application/json").body;
}

// etcd's current revision (the newest resourceVersion any object can have), 0 on failure.
inline long etcd_revision(const std::string& etcd_url) {
  auto doc = Json::parse(etcd_post(etcd_url, "/v3/kv/range", R"({"key":"Zm9v"})"), nullptr, false);  // key "foo"
  if (!doc.is_object() || !doc.contains("header")) return 0;
  const Json& rev = doc["header"].value("revision", Json());
  return rev.is_string() ? std::stol(rev.get<std::string>()) : 0;
}

// Compacts etcd at `revision`: every older resourceVersion is gone for watches that read etcd.
inline bool etcd_compact(const std::string& etcd_url, long revision) {
  std::string body = R"({"revision":")" + std::to_string(revision) + R"(","physical":true})";
  return etcd_post(etcd_url, "/v3/kv/compaction", body).find("header") != std::string::npos;
}

// Whether reading at `revision` is refused as compacted (proof that a watch from it must get 410).
inline bool etcd_compacted(const std::string& etcd_url, long revision) {
  std::string body = R"({"key":"Zm9v","revision":")" + std::to_string(revision) + R"("})";
  return etcd_post(etcd_url, "/v3/kv/range", body).find("compacted") != std::string::npos;
}

}  // namespace slime::testing::faults

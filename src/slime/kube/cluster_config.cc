#include "slime/kube/cluster_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "slime/core/base64.h"
#include "slime/core/json.h"
#include "slime/core/yaml.h"

namespace slime::kube {
namespace {

using core::Json;
namespace fs = std::filesystem;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


std::string str_field(const Json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// kubeconfig lists are [{name: x, <kind>: {...}}]; returns the inner mapping of the named entry.
const Json* find_named(const Json& doc, const char* list, const char* inner, const std::string& name) {
  auto l = doc.find(list);
  if (l == doc.end() || !l->is_array()) return nullptr;
  for (const auto& entry : *l)
    if (entry.is_object() && str_field(entry, "name") == name) {
      auto it = entry.find(inner);
      return it != entry.end() && it->is_object() ? &*it : nullptr;
    }
  return nullptr;
}

std::string resolve(const fs::path& base, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (base / p).string();
}

core::Result<std::string> decode_field(const Json& obj, const char* key, const std::string& where) {
  std::string raw = str_field(obj, key);
  if (raw.empty()) return std::string();
  auto d = core::base64_decode(raw);
  if (!d) return core::fail("expected base64 data", where + "." + key);
  return *d;
}

}  // namespace

core::Result<ClusterConfig> load_kubeconfig(const std::string& path, const std::string& context) {
  auto text = read_file(path);
  if (!text) return core::fail("cannot read kubeconfig " + path);
  auto parsed = core::parse_yaml(*text, path);
  if (!parsed) return std::unexpected(parsed.error());
  const Json& doc = *parsed;
  if (!doc.is_object()) return core::fail("kubeconfig " + path + ": expected a mapping");

  std::string ctx_name = context.empty() ? str_field(doc, "current-context") : context;
  if (ctx_name.empty()) return core::fail("kubeconfig " + path + ": no current-context and no --context given");
  const Json* ctx = find_named(doc, "contexts", "context", ctx_name);
  if (!ctx) return core::fail("kubeconfig " + path + ": context \"" + ctx_name + "\" not found");
  std::string cluster_name = str_field(*ctx, "cluster");
  std::string user_name = str_field(*ctx, "user");
  const Json* cluster = find_named(doc, "clusters", "cluster", cluster_name);
  if (!cluster) return core::fail("kubeconfig " + path + ": cluster \"" + cluster_name + "\" not found");
  static const Json kEmpty = Json::object();
  const Json* user = find_named(doc, "users", "user", user_name);
  if (!user) user = &kEmpty;  // anonymous access is legitimate (e.g. a local proxy)

  fs::path base = fs::path(path).parent_path();
  ClusterConfig c;
  c.server = str_field(*cluster, "server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.empty()) return core::fail("kubeconfig " + path + ": cluster \"" + cluster_name + "\" has no server");
  c.ca_file = resolve(base, str_field(*cluster, "certificate-authority"));
  auto ca = decode_field(*cluster, "certificate-authority-data", "clusters." + cluster_name);
  if (!ca) return std::unexpected(ca.error());
  c.ca_data = *ca;
  if (auto it = cluster->find("insecure-skip-tls-verify"); it != cluster->end() && it->is_boolean())
    c.insecure_skip_tls_verify = it->get<bool>();

  c.client_cert_file = resolve(base, str_field(*user, "client-certificate"));
  c.client_key_file = resolve(base, str_field(*user, "client-key"));
  auto cert = decode_field(*user, "client-certificate-data", "users." + user_name);
  if (!cert) return std::unexpected(cert.error());
  auto key = decode_field(*user, "client-key-data", "users." + user_name);
  if (!key) return std::unexpected(key.error());
  c.client_cert_data = *cert;
  c.client_key_data = *key;
  c.token = str_field(*user, "token");
  c.token_file = resolve(base, str_field(*user, "tokenFile"));
  if (user->contains("exec") || user->contains("auth-provider"))
    return core::fail("kubeconfig " + path + ": user \"" + user_name +
                      "\" uses exec/auth-provider credentials, which slime does not run; use a token or client certificate");
  if (std::string ns = str_field(*ctx, "namespace"); !ns.empty()) c.ns = ns;
  return c;
}

core::Result<ClusterConfig> in_cluster_config(const std::string& sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host || !port || !*port)
    return core::fail("not running in a pod: KUBERNETES_SERVICE_HOST/PORT unset (use --kubeconfig)");
  ClusterConfig c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 literal
  c.server = "https://" + h + ":" + port;
  c.token_file = sa_dir + "/token";
  if (!read_file(c.token_file)) return core::fail("cannot read service-account token " + c.token_file);
  c.ca_file = sa_dir + "/ca.crt";
  if (auto ns = read_file(sa_dir + "/namespace"); ns && !ns->empty()) {
    while (!ns->empty() && (ns->back() == '\n' || ns->back() == ' ')) ns->pop_back();
    c.ns = *ns;
  }
  return c;
}

}  // namespace slime::kube

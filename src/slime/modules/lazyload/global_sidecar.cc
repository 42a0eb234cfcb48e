#include "slime/modules/lazyload/global_sidecar.h"

#include "slime/modules/lazyload/names.h"

namespace slime::lazyload {

using core::Json;
using core::Object;

namespace {

constexpr const char* kHcm = "envoy.filters.network.http_connection_manager";
constexpr const char* kHcmLegacy = "envoy.http_connection_manager";
constexpr const char* kRouter = "envoy.filters.http.router";
constexpr const char* kRouterLegacy = "envoy.router";
constexpr const char* kLuaCode =
    "function envoy_on_request(request_handle)\n"
    "  request_handle:headers():replace(\"Slime-Source-Ns\", os.getenv(\"POD_NAMESPACE\"))\n"
    "end\n";

std::string gs_cluster(const FenceConfig& config, const std::string& gs_ns) {
  return "outbound|" + std::to_string(config.global_sidecar.port) + "||global-sidecar." + gs_ns + ".svc.cluster.local";
}

// Helm `tpl` over the chart root: the two values a dispatch cluster can reasonably refer to.
std::string expand_values(std::string s, const FenceConfig& config) {
  auto replace_all = [&s](const std::string& from, const std::string& to) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  };
  for (const char* sp : {"", " "}) {
    std::string a = std::string("{{") + sp, b = std::string(sp) + "}}";
    replace_all(a + ".Values.namespace" + b, config.global.slime_namespace);
    replace_all(a + ".Values.istioNamespace" + b, config.global.istio_namespace);
  }
  return s;
}

// The route to the global sidecar with the two headers it needs (§6.3.1).
void to_gs(Json& route_entry, const FenceConfig& config, const std::string& gs_ns) {
  route_entry["route"] = {{"timeout", "0s"}, {"cluster", gs_cluster(config, gs_ns)}};
  Json headers = Json::array();
  headers.push_back({{"header", {{"key", "Slime-Orig-Dest"}, {"value", "%DOWNSTREAM_LOCAL_ADDRESS%"}}}, {"append", false}});
  if (config.namespace_mode()) {
    headers.push_back({{"header", {{"key", "Slime-Source-Ns"}, {"value", gs_ns}}}, {"append", false}});
  } else if (!config.add_env_header_via_lua) {
    headers.push_back(
        {{"header", {{"key", "Slime-Source-Ns"}, {"value", "%ENVIRONMENT(POD_NAMESPACE)%"}}}, {"append", false}});
  }
  route_entry["request_headers_to_add"] = std::move(headers);
}

Json dispatch_route(const Dispatch& d, const FenceConfig& config, const std::string& gs_ns, Json match) {
  Json r = {{"match", std::move(match)}};
  if (d.cluster == "_GLOBAL_SIDECAR") to_gs(r, config, gs_ns);
  else r["route"] = {{"timeout", "0s"}, {"cluster", expand_values(d.cluster, config)}};
  return r;
}

Json app_match(const FenceConfig& config, Json route_configuration) {
  Json m = {{"context", "SIDECAR_OUTBOUND"}, {"routeConfiguration", std::move(route_configuration)}};
  if (!config.proxy_version.empty()) m["proxy"] = {{"proxyVersion", config.proxy_version}};
  return m;
}

Json gs_match(Json route_configuration) {
  return {{"proxy", {{"metadata", {{"SLIME_APP", "LAZYLOAD_GLOBAL_SIDECAR"}}}}},
          {"context", "SIDECAR_OUTBOUND"},
          {"routeConfiguration", std::move(route_configuration)}};
}

Object named(std::string_view api_version, std::string_view kind, const std::string& ns, std::string_view name) {
  return Object(api_version, kind, ns, name);
}

}  // namespace

std::vector<std::string> global_sidecar_namespaces(const FenceConfig& config) {
  if (config.namespace_mode()) return config.namespaces;
  return {config.cluster_gs_ns()};
}

Object gs_service(const std::string& ns, const std::vector<int64_t>& ports, int64_t tcp_port) {
  Object o = named("v1", "Service", ns, kGlobalSidecar);
  o.set_label("app", "global-sidecar");
  o.set_label("service", "global-sidecar");
  o.set_label(kServiceFencedLabel, "false");
  Json p = Json::array();
  for (int64_t port : ports)
    p.push_back({{"name", "http-" + std::to_string(port)}, {"port", port}, {"protocol", "TCP"}, {"targetPort", port}});
  if (tcp_port > 0)
    p.push_back({{"name", "tcp-" + std::to_string(tcp_port)}, {"port", tcp_port}, {"protocol", "TCP"}, {"targetPort", tcp_port}});
  o.json()["spec"] = {{"ports", std::move(p)},
                      {"selector", {{"app", "global-sidecar"}}},
                      {"sessionAffinity", "None"},
                      {"type", "ClusterIP"}};
  return o;
}

Object gs_config_map(const std::string& ns, const std::vector<int64_t>& ports) {
  Object o = named("v1", "ConfigMap", ns, kGlobalSidecar);
  o.set_label("lazyload.slime.io/config", "global-sidecar");
  std::string cfg = "wormholePorts:";
  for (int64_t p : ports) cfg += "\n- " + std::to_string(p);
  o.json()["data"] = {{"cfg", cfg}};
  return o;
}

Object gs_deployment(const FenceConfig& config, const std::string& ns, const std::vector<int64_t>& ports) {
  const auto& gs = config.global_sidecar;
  bool accesslog = config.metric_source == MetricSource::kAccessLog;
  Object o = named("apps/v1", "Deployment", ns, kGlobalSidecar);
  o.set_label("app", "global-sidecar");

  std::string proxy_config = "proxyMetadata:\n  ISTIO_META_SLIME_APP:\n    LAZYLOAD_GLOBAL_SIDECAR\n";
  if (!accesslog) proxy_config += "  ISTIO_META_ISTIO_VERSION:\n    \"999.0.0\"\n";
  Json annotations = {{"proxy.istio.io/config", proxy_config}};
  if (accesslog) annotations["sidecar.istio.io/bootstrapOverride"] = std::string(kAccessLogSource);
  Json labels = {{"app", "global-sidecar"}};
  if (gs.inject_enable) {
    for (const auto& [k, v] : gs.inject_annotations) annotations[k] = v;
    if (gs.inject_mode == "pod")
      for (const auto& [k, v] : gs.inject_labels) labels[k] = v;
  }

  Json container_ports = Json::array();
  for (int64_t p : ports) container_ports.push_back({{"containerPort", p}, {"protocol", "TCP"}});
  const auto& tcp = config.tcp_lazyload;
  if (tcp.active()) {
    container_ports.push_back({{"containerPort", tcp.port}, {"protocol", "TCP"}});
    // The PROXY header arrives in clear on this port: the pod's own istio-proxy must not intercept it.
    annotations["traffic.sidecar.istio.io/excludeInboundPorts"] = std::to_string(tcp.port);
  }
  auto probe = [&](const char* path, int initial, int period, int timeout, int failure) {
    return Json{{"failureThreshold", failure},
                {"httpGet", {{"path", path}, {"port", gs.probe_port}, {"scheme", "HTTP"}}},
                {"initialDelaySeconds", initial},
                {"periodSeconds", period},
                {"successThreshold", 1},
                {"timeoutSeconds", timeout}};
  };
  std::string log_level = config.global.log.log_level.empty() ? "info" : config.global.log.log_level;
  Json container = {
      {"name", "global-sidecar"},
      {"env",
       Json::array({Json{{"name", "CLEAN_UP_WORMHOLE_PORT"}, {"value", config.cleanup_wormhole_port ? "true" : "false"}},
                    Json{{"name", "PROBE_PORT"}, {"value", std::to_string(gs.probe_port)}},
                    Json{{"name", "LOG_LEVEL"}, {"value", log_level}},
                    Json{{"name", "POD_NAMESPACE"},
                         {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.namespace"}}}}}}})},
      {"image", gs.image_tag.empty() ? gs.image_repository : gs.image_repository + ":" + gs.image_tag},
      {"imagePullPolicy", "Always"},
      {"ports", std::move(container_ports)},
      {"livenessProbe", probe("/healthz/live", 600, 30, 15, 3)},
      {"readinessProbe", probe("/healthz/ready", 1, 2, 1, 30)},
      {"securityContext", {{"privileged", true}}}};
  if (!gs.resources.is_null()) container["resources"] = gs.resources;
  if (tcp.active())
    container["env"].push_back({{"name", "SLIME_TCP_LISTEN"}, {"value", "0.0.0.0:" + std::to_string(tcp.port)}});

  Json pod_spec = {{"serviceAccountName", "global-sidecar"}, {"containers", Json::array({std::move(container)})}};
  if (!gs.image_pull_secrets.is_null()) pod_spec["imagePullSecrets"] = gs.image_pull_secrets;
  if (!gs.affinity.is_null()) pod_spec["affinity"] = gs.affinity;
  if (!gs.tolerations.is_null()) pod_spec["tolerations"] = gs.tolerations;

  o.json()["spec"] = {{"replicas", gs.replicas},
                      {"selector", {{"matchLabels", {{"app", "global-sidecar"}}}}},
                      {"template",
                       {{"metadata", {{"annotations", std::move(annotations)}, {"labels", std::move(labels)}}},
                        {"spec", std::move(pod_spec)}}}};
  return o;
}

Object to_global_sidecar_filter(const FenceConfig& config, const std::string& gs_ns, const std::string& filter_ns,
                                const std::vector<int64_t>& ports) {
  Object o = named("networking.istio.io/v1alpha3", "EnvoyFilter", filter_ns, kToGlobalSidecar);
  bool lua = config.add_env_header_via_lua && !config.namespace_mode();
  bool legacy = config.global_sidecar.legacy_filter_name;
  Json patches = Json::array();
  for (int64_t port : ports) {
    std::string p = std::to_string(port);
    // (1) app proxies: drop Istio's catch-all vhost.
    patches.push_back({{"applyTo", "VIRTUAL_HOST"},
                       {"match", app_match(config, {{"name", p}, {"vhost", {{"name", "allow_any"}}}})},
                       {"patch", {{"operation", "REMOVE"}}}});
    // (2) dispatch vhosts, then the new catch-all.
    Json vhosts = Json::array();
    Json regex_routes = Json::array();
    for (const auto& d : config.dispatches) {
      if (d.domain_regex.empty()) {
        vhosts.push_back({{"domains", d.domains},
                          {"name", d.name},
                          {"routes", Json::array({dispatch_route(d, config, gs_ns, {{"prefix", "/"}})})}});
      } else {
        Json match = {{"prefix", "/"},
                      {"headers", Json::array({Json{{"name", ":authority"},
                                                    {"string_match",
                                                     {{"safe_regex", {{"google_re2", Json::object()},
                                                                      {"regex", d.domain_regex}}}}}}})}};
        regex_routes.push_back(dispatch_route(d, config, gs_ns, std::move(match)));
      }
    }
    Json fallback = {{"match", {{"prefix", "/"}}}};
    if (config.passthrough_by_default) fallback["route"] = {{"timeout", "0s"}, {"cluster", "PassthroughCluster"}};
    else to_gs(fallback, config, gs_ns);
    regex_routes.push_back(std::move(fallback));
    vhosts.push_back({{"domains", Json::array({"*"})}, {"name", "allow_all"}, {"routes", std::move(regex_routes)}});
    patches.push_back({{"applyTo", "ROUTE_CONFIGURATION"},
                       {"match", app_match(config, {{"name", p}})},
                       {"patch", {{"operation", "MERGE"}, {"value", {{"virtual_hosts", std::move(vhosts)}}}}}});
    // (3) Slime-Source-Ns set by Lua for Envoys without %ENVIRONMENT()%.
    if (lua) {
      Json m = {{"context", "SIDECAR_OUTBOUND"},
                {"listener",
                 {{"name", "0.0.0.0_" + p},
                  {"filterChain",
                   {{"filter", {{"name", legacy ? kHcmLegacy : kHcm}, {"subFilter", {{"name", legacy ? kRouterLegacy : kRouter}}}}}}}}}};
      if (!config.proxy_version.empty()) m["proxy"] = {{"proxyVersion", config.proxy_version}};
      patches.push_back(
          {{"applyTo", "HTTP_FILTER"},
           {"match", std::move(m)},
           {"patch",
            {{"operation", "INSERT_BEFORE"},
             {"value",
              {{"name", "envoy.filters.http.lua"},
               {"typed_config",
                {{"@type", "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua"},
                 {"inline_code", "-- place holder\n"},
                 {"source_codes", {{"add.lua", {{"inline_string", kLuaCode}}}}}}}}}}}});
      patches.push_back(
          {{"applyTo", "HTTP_ROUTE"},
           {"match", app_match(config, {{"name", p}, {"vhost", {{"name", "allow_all"}}}})},
           {"patch",
            {{"operation", "MERGE"},
             {"value",
              {{"typed_per_filter_config",
                {{"envoy.filters.http.lua",
                  {{"@type", "type.googleapis.com/envoy.extensions.filters.http.lua.v3.LuaPerRoute"},
                   {"name", "add.lua"}}}}}}}}}});
    }
    // (4)-(6) the global sidecar's own proxy: no allow_all, no dispatch vhosts, plain passthrough.
    patches.push_back({{"applyTo", "VIRTUAL_HOST"},
                       {"match", gs_match({{"name", p}, {"vhost", {{"name", "allow_all"}}}})},
                       {"patch", {{"operation", "REMOVE"}}}});
    for (const auto& d : config.dispatches) {
      if (!d.domain_regex.empty()) continue;
      patches.push_back({{"applyTo", "VIRTUAL_HOST"},
                         {"match", gs_match({{"name", p}, {"vhost", {{"name", d.name}}}})},
                         {"patch", {{"operation", "REMOVE"}}}});
    }
    patches.push_back(
        {{"applyTo", "ROUTE_CONFIGURATION"},
         {"match", gs_match({{"name", p}})},
         {"patch",
          {{"operation", "MERGE"},
           {"value",
            {{"virtual_hosts",
              Json::array({Json{{"domains", Json::array({"*"})},
                                {"name", "allow_any_new"},
                                {"routes", Json::array({Json{{"match", {{"prefix", "/"}}},
                                                             {"route", {{"cluster", "PassthroughCluster"},
                                                                        {"timeout", "0s"}}}}})}}})}}}}}});
  }
  o.json()["spec"] = {{"configPatches", std::move(patches)}};
  return o;
}

Object tcp_fallback_filter(const FenceConfig& config, const std::string& gs_ns, const std::string& filter_ns) {
  const auto& tcp = config.tcp_lazyload;
  Object o = named("networking.istio.io/v1alpha3", "EnvoyFilter", filter_ns, kToGlobalSidecarTcp);
  const std::string cluster = "slime-tcp-global-sidecar." + gs_ns;
  auto outbound = [&](Json extra) {
    Json m = {{"context", "SIDECAR_OUTBOUND"}};
    for (auto& [k, v] : extra.items()) m[k] = v;
    if (!config.proxy_version.empty()) m["proxy"] = {{"proxyVersion", config.proxy_version}};
    return m;
  };
  // (1) The hop: the global sidecar's TCP port, every connection prefixed with a PROXY v2 header carrying
  //     the caller and the original destination (tcp_proxy puts the downstream addresses in the filter state
  //     the upstream PROXY-protocol socket writes). Not Istio's outbound cluster: its mTLS socket would sit
  //     under the header, and the global sidecar's inbound capture is off for this port.
  Json endpoint = {{"endpoint",
                    {{"address",
                      {{"socket_address",
                        {{"address", "global-sidecar." + gs_ns + ".svc.cluster.local"}, {"port_value", tcp.port}}}}}}}};
  Json cluster_value = {
      {"name", cluster},
      {"type", "STRICT_DNS"},
      {"connect_timeout", "5s"},
      {"lb_policy", "ROUND_ROBIN"},
      {"load_assignment",
       {{"cluster_name", cluster},
        {"endpoints", Json::array({Json{{"lb_endpoints", Json::array({std::move(endpoint)})}}})}}},
      {"transport_socket",
       {{"name", "envoy.transport_sockets.upstream_proxy_protocol"},
        {"typed_config",
         {{"@type", "type.googleapis.com/envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport"},
          {"config", {{"version", "V2"}}},
          {"transport_socket",
           {{"name", "envoy.transport_sockets.raw_buffer"},
            {"typed_config", {{"@type", "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"}}}}}}}}}};
  // (2) Unknown destinations inside the service CIDRs: a filter chain on the capture listener. Known
  //     services have their own listeners and never reach virtualOutbound; addresses outside the ranges
  //     keep Istio's passthrough chain (Envoy prefers the chain with a matching prefix).
  Json ranges = Json::array();
  for (const auto& cidr : tcp.service_cidrs) {
    auto slash = cidr.find('/');
    ranges.push_back({{"address_prefix", cidr.substr(0, slash)}, {"prefix_len", std::stoi(cidr.substr(slash + 1))}});
  }
  Json chain = {
      {"name", std::string(kTcpLazyloadChain)},
      {"filter_chain_match", {{"prefix_ranges", std::move(ranges)}}},
      {"filters",
       Json::array({Json{{"name", "envoy.filters.network.tcp_proxy"},
                         {"typed_config",
                          {{"@type", "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"},
                           {"stat_prefix", std::string(kTcpLazyloadChain)},
                           {"cluster", cluster}}}}})}};
  o.json()["spec"] = {
      {"configPatches",
       Json::array({Json{{"applyTo", "CLUSTER"},
                         {"match", outbound(Json::object())},
                         {"patch", {{"operation", "ADD"}, {"value", std::move(cluster_value)}}}},
                    Json{{"applyTo", "FILTER_CHAIN"},
                         {"match", outbound({{"listener", {{"name", "virtualOutbound"}}}})},
                         {"patch", {{"operation", "ADD"}, {"value", std::move(chain)}}}}})}};
  return o;
}

Object accesslog_filter(const FenceConfig& config, const std::string& ns) {
  Object o = named("networking.istio.io/v1alpha3", "EnvoyFilter", ns, "global-sidecar-accesslog");
  bool legacy = config.global_sidecar.legacy_filter_name;
  Json value = {
      {"typed_config",
       {{"@type", "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"},
        {"access_log",
         Json::array({Json{{"name", "envoy.access_loggers.http_grpc"},
                           {"typed_config",
                            {{"@type", "type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig"},
                             {"common_config",
                              {{"log_name", "http_envoy_accesslog"},
                               {"transport_api_version", "V3"},
                               {"grpc_service", {{"envoy_grpc", {{"cluster_name", kAccessLogSource}}}}}}}}}}})}}}};
  o.json()["spec"] = {
      {"workloadSelector", {{"labels", {{"app", "global-sidecar"}}}}},
      {"configPatches",
       Json::array({Json{{"applyTo", "NETWORK_FILTER"},
                         {"match", {{"listener", {{"filterChain", {{"filter", {{"name", legacy ? kHcmLegacy : kHcm}}}}}}}}},
                         {"patch", {{"operation", "MERGE"}, {"value", std::move(value)}}}}})}};
  return o;
}

Object accesslog_source_config_map(const FenceConfig& config, const std::string& ns) {
  Object o = named("v1", "ConfigMap", ns, kAccessLogSource);
  bool leader = !config.namespace_mode() && config.global.misc_value("enableLeaderElection") == "on";
  std::string address = config.module_name + (leader ? "-leader." : ".") + config.global.slime_namespace;
  Json endpoint = {{"endpoint",
                    {{"address",
                      {{"socket_address", {{"address", address}, {"port_value", config.global_sidecar.log_source_port}}}}}}}};
  Json cluster = {{"name", kAccessLogSource},
                  {"type", "STRICT_DNS"},
                  {"connect_timeout", "5s"},
                  {"http2_protocol_options", Json::object()},
                  {"dns_lookup_family", "V4_ONLY"},
                  {"load_assignment",
                   {{"cluster_name", kAccessLogSource},
                    {"endpoints", Json::array({Json{{"lb_endpoints", Json::array({std::move(endpoint)})}}})}}},
                  {"respect_dns_ttl", true}};
  Json bootstrap = {{"static_resources", {{"clusters", Json::array({std::move(cluster)})}}}};
  o.json()["data"] = {{"custom_bootstrap.json", bootstrap.dump(2) + "\n"}};
  return o;
}

Object metadata_exchange_remove_filter(const std::string& ns) {
  Object o = named("networking.istio.io/v1alpha3", "EnvoyFilter", ns, "global-sidecar-metadata-exchange-remove");
  Json patches = Json::array();
  for (const char* ctx : {"SIDECAR_INBOUND", "SIDECAR_OUTBOUND", "GATEWAY"}) {
    patches.push_back(
        {{"applyTo", "HTTP_FILTER"},
         {"match",
          {{"proxy", {{"metadata", {{"SLIME_APP", "LAZYLOAD_GLOBAL_SIDECAR"}}}}},
           {"context", ctx},
           {"listener",
            {{"filterChain", {{"filter", {{"name", kHcm}, {"subFilter", {{"name", "istio.metadata_exchange"}}}}}}}}}}},
         {"patch", {{"operation", "REMOVE"}}}});
  }
  o.json()["spec"] = {{"configPatches", std::move(patches)}};
  return o;
}

std::vector<Object> render_global_sidecar(const FenceConfig& config, const std::vector<int64_t>& ports) {
  std::vector<Object> out;
  bool cluster = !config.namespace_mode();
  for (const auto& ns : global_sidecar_namespaces(config)) {
    out.push_back(gs_service(ns, ports, config.tcp_lazyload.active() ? config.tcp_lazyload.port : 0));
    if (config.support_h2) {
      Object dr = named("networking.istio.io/v1beta1", "DestinationRule", ns, kGlobalSidecar);
      dr.json()["spec"] = {{"host", "global-sidecar." + ns + ".svc.cluster.local"},
                           {"trafficPolicy", {{"connectionPool", {{"http", {{"useClientProtocol", true}}}}}}}};
      out.push_back(std::move(dr));
    }
    Object sa = named("v1", "ServiceAccount", ns, kGlobalSidecar);
    sa.set_label("account", "global-sidecar");
    out.push_back(std::move(sa));
    Json verbs = Json::array({"get", "list", "watch"});
    Json resources = cluster ? Json::array({"configmaps"}) : Json::array({"configmaps", "services"});
    Object role = named("rbac.authorization.k8s.io/v1", "Role", ns, kGlobalSidecar);
    role.json()["rules"] = Json::array({Json{{"apiGroups", Json::array({""})}, {"resources", resources}, {"verbs", verbs}}});
    out.push_back(std::move(role));
    Object rb = named("rbac.authorization.k8s.io/v1", "RoleBinding", ns, kGlobalSidecar);
    rb.json()["roleRef"] = {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", "global-sidecar"}};
    rb.json()["subjects"] = Json::array({Json{{"kind", "ServiceAccount"}, {"name", "global-sidecar"}, {"namespace", ns}}});
    out.push_back(std::move(rb));
    if (cluster) {
      Object cr = named("rbac.authorization.k8s.io/v1", "ClusterRole", "", kGlobalSidecar);
      cr.json()["rules"] = Json::array({Json{{"apiGroups", Json::array({""})}, {"resources", Json::array({"services"})}, {"verbs", verbs}}});
      out.push_back(std::move(cr));
      Object crb = named("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", kGlobalSidecar);
      crb.json()["roleRef"] = {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", "global-sidecar"}};
      crb.json()["subjects"] = Json::array({Json{{"kind", "ServiceAccount"}, {"name", "global-sidecar"}, {"namespace", ns}}});
      out.push_back(std::move(crb));
    }
    out.push_back(gs_config_map(ns, ports));
    out.push_back(gs_deployment(config, ns, ports));
    if (config.metric_source == MetricSource::kPrometheus) out.push_back(metadata_exchange_remove_filter(ns));
    out.push_back(to_global_sidecar_filter(config, ns, cluster ? config.global.istio_namespace : ns, ports));
    if (config.tcp_lazyload.active())
      out.push_back(tcp_fallback_filter(config, ns, cluster ? config.global.istio_namespace : ns));
    if (config.metric_source == MetricSource::kAccessLog) {
      out.push_back(accesslog_filter(config, ns));
      out.push_back(accesslog_source_config_map(config, ns));
    }
  }
  return out;
}

}  // namespace slime::lazyload

#include "slime/modules/limiter/workload.h"

#include <algorithm>

#include "slime/core/kinds.h"
#include "slime/core/service_endpoints.h"

namespace slime::limiter {
namespace {

using core::GroupKind;
using core::Json;
using core::Labels;

using core::kDestinationRuleGk;
using core::kPodGk;
using core::kServiceEntryGk;
using core::kServiceGk;

Labels string_map(const Json* j) {
  Labels out;
  if (!j || !j->is_object()) return out;
  for (auto it = j->begin(); it != j->end(); ++it)
    if (it->is_string()) out[it.key()] = it->get<std::string>();
  return out;
}

const Json* at(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(k);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

bool running(const core::Object& pod) {
  const Json& doc = pod.json();
  const Json* phase = at(doc, {"status", "phase"});
  const Json* deleting = at(doc, {"metadata", "deletionTimestamp"});
  return phase && phase->is_string() && phase->get_ref<const std::string&>() == "Running" && (!deleting || deleting->is_null());
}

// True when the JSON label map holds every key/value of `subset` (no copy of the labels).
bool json_labels_contain(const Json* labels, const Labels& subset) {
  if (subset.empty()) return true;
  if (!labels || !labels->is_object()) return false;
  for (const auto& [k, v] : subset) {
    auto it = labels->find(k);
    if (it == labels->end() || !it->is_string() || it->get_ref<const std::string&>() != v) return false;
  }
  return true;
}

struct PodRef {
  std::string name;
  const Json* labels = nullptr;  // null when the endpoint names no Pod we have
};

std::vector<PodRef> ready_pods(const core::Snapshot& snapshot, std::string_view ns, const Labels& selector) {
  std::vector<PodRef> out;
  if (selector.empty()) return out;  // an empty selector names no workload here, not every pod
  for (const core::Object* pod : snapshot.list(kPodGk, ns))
    if (const Json* labels = at(pod->json(), {"metadata", "labels"}); json_labels_contain(labels, selector) && running(*pod))
      out.push_back({pod->name(), labels});
  return out;
}

// The ready addresses of the Service's EndpointSlices or Endpoints (what Kubernetes itself counts as ready
// pods): one lookup instead of a scan of every pod of the namespace.
// `with_labels` false: only the names are needed (no subset selects by label), so the Pods are not looked up.
std::vector<PodRef> endpoint_pods(const core::Snapshot& snapshot, const std::vector<core::EndpointAddress>& addresses,
                                  bool with_labels) {
  std::vector<PodRef> out;
  for (const auto& address : addresses) {
    if (!address.ready) continue;
    PodRef ref;
    if (!address.pod_name.empty()) {
      ref.name = address.pod_name;
      if (with_labels)
        if (const core::Object* pod = snapshot.get({kPodGk, address.pod_ns, ref.name})) ref.labels = at(pod->json(), {"metadata", "labels"});
    } else {
      ref.name = address.ip;
    }
    if (std::none_of(out.begin(), out.end(), [&](const PodRef& p) { return p.name == ref.name; })) out.push_back(std::move(ref));
  }
  return out;
}

// The subsets of the DestinationRules for `host`, from namespace `ns` and the Istio root namespace; the
// first rule naming a subset wins.
std::vector<WorkloadSet> destination_rule_subsets(const core::Snapshot& snapshot, const std::string& host,
                                                  const std::string& ns, const LimiterConfig& config) {
  std::vector<WorkloadSet> out;
  auto named = [&](const std::string& n) {
    return std::any_of(out.begin(), out.end(), [&](const WorkloadSet& s) { return s.name == n; });
  };
  auto scan = [&](const std::string& drns) {
    for (const core::Object* dr : snapshot.list(kDestinationRuleGk, drns)) {
      const Json* h = at(dr->spec(), {"host"});
      if (!h || !h->is_string() || unity_host(h->get_ref<const std::string&>(), dr->ns()) != host) continue;
      const Json* subsets = at(dr->spec(), {"subsets"});
      if (!subsets || !subsets->is_array()) continue;
      for (const Json& s : *subsets) {
        const Json* sname = at(s, {"name"});
        if (!sname || !sname->is_string()) continue;
        const auto& n = sname->get_ref<const std::string&>();
        if (n == kBaseSet || named(n)) continue;
        out.push_back({n, string_map(at(s, {"labels"})), {}});
      }
    }
  };
  scan(ns);
  if (config.istio_namespace != ns) scan(config.istio_namespace);
  return out;
}

}  // namespace

const WorkloadSet* Workload::find(std::string_view set) const {
  for (const auto& s : sets)
    if (s.name == set) return &s;
  return nullptr;
}

std::string unity_host(std::string_view host, std::string_view ns) {
  size_t dots = std::count(host.begin(), host.end(), '.');
  if (dots == 0) return std::string(host) + "." + std::string(ns) + ".svc.cluster.local";
  if (dots == 1 || dots == 4) {
    auto first = host.find('.');
    auto second = host.find('.', first + 1);
    return std::string(host.substr(0, second)) + ".svc.cluster.local";
  }
  return std::string(host);
}

core::Result<Workload> resolve_workload(const core::Snapshot& snapshot, const core::Object& limiter,
                                        const SmartLimiterSpec& spec, const LimiterConfig& config) {
  Workload w;
  const std::string ns = limiter.ns();
  const std::string name = limiter.name();
  w.host = spec.host.empty() ? name + "." + ns + ".svc.cluster.local" : unity_host(spec.host, ns);
  std::vector<PodRef> pods;
  size_t service_entry_endpoints = 0;
  // Subsets first: when none selects by label, the pods' labels are not needed.
  if (!spec.gateway) w.sets = destination_rule_subsets(snapshot, w.host, ns, config);
  bool with_labels = !w.sets.empty();

  if (spec.gateway || !spec.workload_selector.empty()) {
    w.selector = Labels(spec.workload_selector.begin(), spec.workload_selector.end());
    // A limiter in the Istio root namespace may select pods anywhere (e.g. gateways).
    pods = ready_pods(snapshot, ns == config.istio_namespace ? std::string_view() : std::string_view(ns), w.selector);
  } else if (!spec.host.empty()) {
    const core::Object* entry = nullptr;
    for (const core::Object* se : snapshot.list(kServiceEntryGk, ns)) {
      const Json* hosts = at(se->spec(), {"hosts"});
      if (hosts && hosts->is_array() && std::find(hosts->begin(), hosts->end(), Json(spec.host)) != hosts->end()) {
        entry = se;
        break;
      }
    }
    if (!entry)
      return core::fail("no ServiceEntry in namespace " + ns + " has host " + spec.host, "spec.host");
    w.selector = string_map(at(entry->spec(), {"workloadSelector", "labels"}));
    pods = ready_pods(snapshot, ns, w.selector);
    if (const Json* endpoints = at(entry->spec(), {"endpoints"}); w.selector.empty() && endpoints && endpoints->is_array())
      service_entry_endpoints = endpoints->size();
  } else {
    const core::Object* svc = snapshot.get({kServiceGk, ns, name});
    if (!svc)
      return core::fail("Service " + ns + "/" + name +
                            " not found: a SmartLimiter applies to the Service of the same name unless it sets "
                            "workloadSelector or host",
                        "metadata.name");
    w.selector = string_map(at(svc->spec(), {"selector"}));
    if (w.selector.empty()) return core::fail("Service " + ns + "/" + name + " has no selector", "metadata.name");
    auto endpoints = core::service_endpoints(snapshot, ns, name);
    pods = endpoints ? endpoint_pods(snapshot, *endpoints, with_labels) : ready_pods(snapshot, ns, w.selector);
  }

  w.sets.push_back({kBaseSet, {}, {}});
  for (auto& set : w.sets) {
    for (const PodRef& pod : pods)
      if (set.labels.empty() || json_labels_contain(pod.labels, set.labels)) set.pods.push_back(pod.name);
    std::sort(set.pods.begin(), set.pods.end());
    set.count = set.pods.size();
  }
  if (service_entry_endpoints > 0) w.sets.back().count = service_entry_endpoints;
  return w;
}

}  // namespace slime::limiter

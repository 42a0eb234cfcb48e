#include "slime/modules/lazyload/fence.h"

#include "slime/core/fields.h"

namespace slime::lazyload {

using core::Json;

namespace {

void problem(std::vector<core::Error>& problems, std::string field, std::string message) {
  core::Error e;
  e.field = std::move(field);
  e.message = std::move(message);
  problems.push_back(std::move(e));
}

// {seconds, nanos}, int64 seconds as number or string.
std::optional<Timestamp> parse_timestamp(const Json& v, const std::string& path, std::vector<core::Error>& problems) {
  core::FieldReader r(v, path);
  if (!r.ok()) {
    problem(problems, path, std::string("expected a mapping {seconds, nanos}, got ") + v.type_name());
    return std::nullopt;
  }
  Timestamp t;
  auto s = r.integer("seconds");
  if (!s) {
    problems.push_back(std::move(s.error()));
    return std::nullopt;
  }
  auto n = r.integer("nanos");
  if (!n) {
    problems.push_back(std::move(n.error()));
    return std::nullopt;
  }
  t.seconds = *s;
  t.nanos = static_cast<int32_t>(*n);
  return t;
}

std::optional<std::map<std::string, std::string>> parse_string_map(const Json* v, const std::string& path,
                                                                    std::vector<core::Error>& problems) {
  std::map<std::string, std::string> out;
  if (!v || v->is_null()) return out;
  if (!v->is_object()) {
    problem(problems, path, std::string("expected a mapping of strings, got ") + v->type_name());
    return std::nullopt;
  }
  for (auto& [k, e] : v->items()) {
    if (!e.is_string()) {
      problem(problems, path + "." + k, std::string("expected a string, got ") + e.type_name());
      return std::nullopt;
    }
    out[k] = e.get<std::string>();
  }
  return out;
}

RecyclingStrategy parse_strategy(const Json& v, const std::string& path, std::vector<core::Error>& problems) {
  RecyclingStrategy s;
  if (v.is_null()) return s;
  if (!v.is_object()) {
    problem(problems, path, std::string("expected a recycling strategy mapping (stable, deadline, auto), got ") +
                                v.type_name());
    return s;
  }
  core::FieldReader r(v, path);
  if (const Json* st = r.get("stable")) s.stable = st->is_object();
  if (const Json* d = r.get("deadline")) {
    core::FieldReader dr(*d, r.child("deadline"));
    if (!dr.ok()) problem(problems, dr.path(), "expected a mapping {expire}");
    else if (const Json* e = dr.get("expire")) s.deadline_expire = parse_timestamp(*e, dr.child("expire"), problems);
  }
  if (const Json* a = r.get("auto")) {
    core::FieldReader ar(*a, r.child("auto"));
    if (!ar.ok()) problem(problems, ar.path(), "expected a mapping {duration}");
    else if (const Json* e = ar.get("duration")) s.auto_duration = parse_timestamp(*e, ar.child("duration"), problems);
  }
  if (auto it = v.find("RecentlyCalled"); it != v.end() && !it->is_null())
    s.recently_called = parse_timestamp(*it, path + ".RecentlyCalled", problems);
  return s;
}

}  // namespace

FenceSpec parse_fence_spec(const Json& spec, std::vector<core::Error>& problems) {
  FenceSpec out;
  if (spec.is_null()) return out;
  core::FieldReader r(spec, "spec");
  if (!r.ok()) {
    problem(problems, "spec", std::string("expected a mapping, got ") + spec.type_name());
    return out;
  }
  if (auto e = r.boolean("enable"); e) out.enable = *e;
  else problems.push_back(std::move(e.error()));

  if (const Json* h = r.get("host")) {
    if (!h->is_object()) {
      problem(problems, "spec.host", std::string("expected a mapping of host to recycling strategy, got ") +
                                         h->type_name());
    } else {
      for (auto& [k, v] : h->items()) out.host[k] = parse_strategy(v, "spec.host." + k, problems);
    }
  }
  if (const Json* ns = r.get("namespaceSelector")) {
    if (!ns->is_array()) {
      problem(problems, "spec.namespaceSelector", std::string("expected a list of namespace names, got ") + ns->type_name());
    } else {
      for (size_t i = 0; i < ns->size(); ++i) {
        if ((*ns)[i].is_string()) out.namespace_selector.push_back((*ns)[i].get<std::string>());
        else problem(problems, "spec.namespaceSelector[" + std::to_string(i) + "]", "expected a namespace name (string)");
      }
    }
  }
  if (const Json* ls = r.get("labelSelector")) {
    if (!ls->is_array()) {
      problem(problems, "spec.labelSelector", std::string("expected a list of {selector: {...}}, got ") + ls->type_name());
    } else {
      for (size_t i = 0; i < ls->size(); ++i) {
        std::string path = "spec.labelSelector[" + std::to_string(i) + "]";
        const Json& item = (*ls)[i];
        if (!item.is_object()) {
          problem(problems, path, std::string("expected a mapping {selector: {...}}, got ") + item.type_name());
          continue;
        }
        auto sel = item.find("selector");
        auto m = parse_string_map(sel == item.end() ? nullptr : &*sel, path + ".selector", problems);
        if (m) out.label_selector.push_back(std::move(*m));
      }
    }
  }
  if (const Json* ws = r.get("workloadSelector")) {
    core::FieldReader wr(*ws, "spec.workloadSelector");
    if (!wr.ok()) {
      problem(problems, "spec.workloadSelector", "expected a mapping {fromService, labels}");
    } else {
      if (auto f = wr.boolean("fromService"); f) out.from_service = *f;
      else problems.push_back(std::move(f.error()));
      if (auto m = parse_string_map(wr.get("labels"), "spec.workloadSelector.labels", problems)) out.labels = std::move(*m);
    }
  }
  return out;
}

FenceStatus parse_fence_status(const Json& status, std::vector<core::Error>& problems) {
  FenceStatus out;
  if (status.is_null()) return out;
  if (!status.is_object()) {
    problem(problems, "status", std::string("expected a mapping, got ") + status.type_name());
    return out;
  }
  for (auto& [k, v] : status.items()) {
    if (k == "domains") {
      if (!v.is_object()) {
        problem(problems, "status.domains", "expected a mapping");
        continue;
      }
      for (auto& [d, dv] : v.items()) {
        std::string path = "status.domains." + d;
        Destinations dest;
        if (dv.is_object()) {
          core::FieldReader r(dv, path);
          if (const Json* hosts = r.get("hosts"); hosts && hosts->is_array()) {
            for (auto& h : *hosts)
              if (h.is_string()) dest.hosts.push_back(h.get<std::string>());
          }
          auto st = r.enumeration("status", {"ACTIVE", "EXPIRE", "EXPIREWAIT"});
          if (st) dest.status = static_cast<DomainStatus>(*st);
          else problems.push_back(std::move(st.error()));
          if (auto rc = dv.find("RecentlyCalled"); rc != dv.end()) dest.recently_called = *rc;
        } else if (!dv.is_null()) {
          problem(problems, path, "expected a mapping {hosts, status}");
          continue;
        }
        out.domains[d] = std::move(dest);
      }
    } else if (k == "metricStatus" || k == "metric_status") {
      // Learned state: one odd value must not lose the others. Numbers are kept as their decimal text.
      if (!v.is_object()) {
        if (!v.is_null()) problem(problems, "status.metricStatus", "expected a mapping of strings");
        continue;
      }
      for (auto& [mk, mv] : v.items()) {
        if (mv.is_string()) out.metric_status[mk] = mv.get<std::string>();
        else if (mv.is_number()) out.metric_status[mk] = mv.dump();
        else problem(problems, "status.metricStatus." + mk, std::string("expected a string, got ") + mv.type_name());
      }
    } else if (k == "metricLastSeen") {
      if (!v.is_object()) continue;
      for (auto& [mk, mv] : v.items()) {
        if (mv.is_number_integer()) out.last_seen[mk] = mv.get<int64_t>();
        else if (mv.is_string()) out.last_seen[mk] = std::strtoll(mv.get<std::string>().c_str(), nullptr, 10);
      }
    } else {
      out.other[k] = v;
    }
  }
  return out;
}

const char* domain_status_name(DomainStatus s) {
  switch (s) {
    case DomainStatus::kActive: return "ACTIVE";
    case DomainStatus::kExpire: return "EXPIRE";
    case DomainStatus::kExpireWait: return "EXPIREWAIT";
  }
  return "ACTIVE";
}

Json encode_domains(const Domains& domains) {
  Json out = Json::object();
  for (const auto& [k, d] : domains) {
    Json j = Json::object();
    if (!d.hosts.empty()) j["hosts"] = d.hosts;
    if (d.status != DomainStatus::kActive) j["status"] = domain_status_name(d.status);  // zero value omitted
    if (!d.recently_called.is_null()) j["RecentlyCalled"] = d.recently_called;
    out[k] = std::move(j);
  }
  return out;
}

Json encode_status(const FenceStatus& status) {
  Json out = status.other.is_object() ? status.other : Json::object();
  out.erase("domains");
  out.erase("metricStatus");
  out.erase("metricLastSeen");
  if (!status.domains.empty()) out["domains"] = encode_domains(status.domains);
  if (!status.metric_status.empty()) out["metricStatus"] = status.metric_status;
  if (!status.last_seen.empty()) {
    Json ls = Json::object();
    for (const auto& [k, v] : status.last_seen) ls[k] = std::to_string(v);  // int64 as a string, like protojson
    out["metricLastSeen"] = std::move(ls);
  }
  return out;
}

}  // namespace slime::lazyload

#include "slime/core/config.h"

#include <algorithm>

#include "slime/core/fields.h"

namespace slime::core {
namespace {

template <typename T>
std::unexpected<Error> propagate(Result<T>& r) {
  return std::unexpected<Error>(std::move(r.error()));
}

#define SLIME_TRY_ASSIGN(lhs, expr)          \
  do {                                       \
    auto _r = (expr);                        \
    if (!_r) return propagate(_r);           \
    lhs = std::move(*_r);                    \
  } while (0)

void collect(const FieldReader& r, std::vector<Error>& warnings) {
  for (auto& e : r.unknown_fields()) warnings.push_back(e);
}

Result<LogConfig> parse_log(const Json& j, const std::string& path, std::vector<Error>& warnings) {
  LogConfig log;
  FieldReader r(j, path);
  if (!r.ok()) return fail("expected a mapping", path);
  SLIME_TRY_ASSIGN(log.log_level, r.string("logLevel", "info"));
  if (log.log_level.empty()) log.log_level = "info";
  SLIME_TRY_ASSIGN(log.klog_level, r.integer("klogLevel", 5));
  if (log.klog_level == 0) log.klog_level = 5;
  SLIME_TRY_ASSIGN(log.log_rotate, r.boolean("logRotate"));
  SLIME_TRY_ASSIGN(log.enable_quote, r.boolean("enableQuote"));
  SLIME_TRY_ASSIGN(log.ilog_level, r.string("ilogLevel"));
  if (const Json* rot = r.get("logRotateConfig")) {
    std::string rp = r.child("logRotateConfig");
    FieldReader rr(*rot, rp);
    if (!rr.ok()) return fail("expected a mapping", rp);
    auto& c = log.log_rotate_config;
    SLIME_TRY_ASSIGN(c.file_path, rr.string("filePath", c.file_path));
    if (c.file_path.empty()) c.file_path = "/tmp/log/slime.log";
    // The proto field is maxSizeMB; its generated JSON name keeps the capitals.
    if (rr.has("maxSizeMB")) SLIME_TRY_ASSIGN(c.max_size_mb, rr.integer("maxSizeMB", 100));
    else SLIME_TRY_ASSIGN(c.max_size_mb, rr.integer("maxSizeMb", 100));
    SLIME_TRY_ASSIGN(c.max_backups, rr.integer("maxBackups", 10));
    SLIME_TRY_ASSIGN(c.max_age_day, rr.integer("maxAgeDay", 10));
    SLIME_TRY_ASSIGN(c.compress, rr.boolean("compress"));
    if (c.max_size_mb == 0) c.max_size_mb = 100;
    if (c.max_backups == 0) c.max_backups = 10;
    if (c.max_age_day == 0) c.max_age_day = 10;
    collect(rr, warnings);
  }
  collect(r, warnings);
  return log;
}

Result<std::string> config_source_address(const Json& j, const std::string& path) {
  if (j.is_string()) return j.get<std::string>();  // lenient: a bare address
  FieldReader r(j, path);
  if (!r.ok() || !j.is_object()) return fail("expected a mapping with `address`", path);
  return r.string("address");
}

Result<GlobalConfig> parse_global(const Json& j, const std::string& path, std::vector<Error>& warnings) {
  GlobalConfig g;
  g.misc = default_misc();
  if (j.is_null()) return g;
  FieldReader r(j, path);
  if (!r.ok()) return fail(std::string("expected a mapping, got ") + j.type_name(), path);
  SLIME_TRY_ASSIGN(g.service, r.string("service", "app"));
  if (g.service.empty()) g.service = "app";
  SLIME_TRY_ASSIGN(g.multicluster, r.string("multicluster"));
  SLIME_TRY_ASSIGN(g.istio_namespace, r.string("istioNamespace", "istio-system"));
  if (g.istio_namespace.empty()) g.istio_namespace = "istio-system";
  SLIME_TRY_ASSIGN(g.slime_namespace, r.string("slimeNamespace", "mesh-operator"));
  if (g.slime_namespace.empty()) g.slime_namespace = "mesh-operator";
  if (const Json* log = r.get("log")) SLIME_TRY_ASSIGN(g.log, parse_log(*log, r.child("log"), warnings));
  if (const Json* misc = r.get("misc")) {
    if (!misc->is_object()) return fail("expected a mapping of strings", r.child("misc"));
    for (auto& [k, v] : misc->items()) {
      if (v.is_string()) g.misc[k] = v.get<std::string>();
      else if (v.is_boolean() || v.is_number()) g.misc[k] = v.dump();  // YAML `on`/`8080` written unquoted
      else return fail(std::string("expected a string, got ") + v.type_name(), r.child("misc") + "." + k);
    }
  }
  SLIME_TRY_ASSIGN(g.istio_rev, r.string("istioRev"));
  SLIME_TRY_ASSIGN(g.strict_rev, r.boolean("strictRev"));
  if (const Json* cs = r.get("configSources")) {
    if (!cs->is_array()) return fail("expected a list", r.child("configSources"));
    for (size_t i = 0; i < cs->size(); ++i) {
      std::string p = r.child("configSources") + "[" + std::to_string(i) + "]";
      auto a = config_source_address((*cs)[i], p);
      if (!a) return propagate(a);
      g.config_sources.push_back(*a);
    }
  }
  SLIME_TRY_ASSIGN(g.master_url, r.string("masterUrl"));
  SLIME_TRY_ASSIGN(g.config_rev, r.string("configRev"));
  if (const Json* tb = r.get("clientGoTokenBucket")) {
    FieldReader t(*tb, r.child("clientGoTokenBucket"));
    if (!t.ok()) return fail("expected a mapping", t.path());
    int64_t qps = 0, burst = 0;
    SLIME_TRY_ASSIGN(qps, t.integer("qps"));
    SLIME_TRY_ASSIGN(burst, t.integer("burst"));
    g.client_qps = static_cast<int32_t>(qps);
    g.client_burst = static_cast<int32_t>(burst);
    collect(t, warnings);
  }
  SLIME_TRY_ASSIGN(g.self_resource_rev, r.string("selfResourceRev"));
  if (const Json* ics = r.get("istioConfigSource")) {
    auto a = config_source_address(*ics, r.child("istioConfigSource"));
    if (!a) return propagate(a);
    g.istio_config_source = *a;
  }
  SLIME_TRY_ASSIGN(g.deploy_rev, r.string("deployRev"));
  SLIME_TRY_ASSIGN(g.enable_convert_se_to_istio_res, r.boolean("enableConvertSeToIstioRes"));
  collect(r, warnings);
  return g;
}

Result<MetricConfig> parse_metric(const Json& j, const std::string& path, std::vector<Error>& warnings) {
  MetricConfig m;
  FieldReader r(j, path);
  if (!r.ok()) return fail("expected a mapping", path);
  if (const Json* p = r.get("prometheus")) {
    m.has_prometheus = true;
    FieldReader pr(*p, r.child("prometheus"));
    if (!pr.ok()) return fail("expected a mapping", pr.path());
    SLIME_TRY_ASSIGN(m.prometheus_address, pr.string("address"));
    if (const Json* hs = pr.get("handlers")) {
      if (!hs->is_object()) return fail("expected a mapping of handlers", pr.child("handlers"));
      for (auto& [name, h] : hs->items()) {
        FieldReader hr(h, pr.child("handlers") + "." + name);
        if (!hr.ok()) return fail("expected a mapping with `query` and `type`", hr.path());
        PrometheusHandler handler;
        SLIME_TRY_ASSIGN(handler.query, hr.string("query"));
        int type = 0;
        SLIME_TRY_ASSIGN(type, hr.enumeration("type", {"Value", "Group"}));
        handler.type = static_cast<PrometheusHandler::Type>(type);
        collect(hr, warnings);
        m.prometheus_handlers[name] = std::move(handler);
      }
    }
    collect(pr, warnings);
  }
  if (const Json* k = r.get("k8s")) {
    FieldReader kr(*k, r.child("k8s"));
    if (!kr.ok()) return fail("expected a mapping", kr.path());
    if (const Json* hs = kr.get("handlers")) {
      if (!hs->is_array()) return fail("expected a list of strings", kr.child("handlers"));
      for (auto& h : *hs) {
        if (!h.is_string()) return fail("expected a list of strings", kr.child("handlers"));
        m.k8s_handlers.push_back(h.get<std::string>());
      }
    }
    collect(kr, warnings);
  }
  collect(r, warnings);
  return m;
}

// Bundle item globals overlay the bundle's: scalars in the item win, mappings merge key-wise, lists
// are appended without repeating entries (the original appended blindly, duplicating config sources).
Json overlay_global(const Json& base, const Json& item) {
  if (!base.is_object() || !item.is_object()) return item.is_null() ? base : item;
  Json out = base;
  for (auto it = item.begin(); it != item.end(); ++it) {
    auto b = out.find(it.key());
    if (b == out.end()) {
      out[it.key()] = it.value();
    } else if (b->is_object() && it->is_object()) {
      *b = overlay_global(*b, *it);
    } else if (b->is_array() && it->is_array()) {
      for (auto& v : *it)
        if (std::find(b->begin(), b->end(), v) == b->end()) b->push_back(v);
    } else {
      *b = *it;
    }
  }
  return out;
}

const Json* member(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

}  // namespace

const std::map<std::string, std::string>& default_misc() {
  static const std::map<std::string, std::string> kMisc = {
      {"metrics-addr", ":8080"},         {"aux-addr", ":8081"},
      {"enableLeaderElection", "off"},   {"logSourcePort", ":8082"},
      {"seLabelSelectorKeys", "app"},    {"xdsSourceEnableIncPush", "true"},
      {"pathRedirect", ""},
  };
  return kMisc;
}

std::string GlobalConfig::misc_value(const std::string& key) const {
  auto it = misc.find(key);
  return it == misc.end() ? std::string() : it->second;
}

Result<ModuleConfig> parse_module_config(const Json& entry, const std::string& path, std::vector<Error>& warnings) {
  ModuleConfig m;
  FieldReader r(entry, path);
  if (!r.ok() || !entry.is_object()) return fail(std::string("expected a module mapping, got ") + entry.type_name(), path);
  m.raw = entry;
  SLIME_TRY_ASSIGN(m.name, r.string("name"));
  SLIME_TRY_ASSIGN(m.kind, r.string("kind"));
  SLIME_TRY_ASSIGN(m.enable, r.boolean("enable"));
  SLIME_TRY_ASSIGN(m.mode, r.string("mode", "Module"));
  if (m.mode != "Module" && m.mode != "BundleItem")
    return fail("expected Module or BundleItem, got '" + m.mode + "'", r.child("mode"));
  if (const Json* g = r.get("general")) {
    if (!g->is_object()) return fail(std::string("expected a mapping, got ") + g->type_name(), r.child("general"));
    m.general = *g;
  }
  const Json* global = r.get("global");
  SLIME_TRY_ASSIGN(m.global, parse_global(global ? *global : Json(), r.child("global"), warnings));
  if (const Json* metric = r.get("metric")) SLIME_TRY_ASSIGN(m.metric, parse_metric(*metric, r.child("metric"), warnings));
  if (const Json* b = r.get("bundle")) {
    FieldReader br(*b, r.child("bundle"));
    if (!br.ok()) return fail("expected a mapping with `modules`", br.path());
    if (const Json* mods = br.get("modules")) {
      if (!mods->is_array()) return fail("expected a list", br.child("modules"));
      for (size_t i = 0; i < mods->size(); ++i) {
        FieldReader ir((*mods)[i], br.child("modules") + "[" + std::to_string(i) + "]");
        if (!ir.ok()) return fail("expected a mapping with `name` and `kind`", ir.path());
        std::string name, kind;
        SLIME_TRY_ASSIGN(name, ir.string("name"));
        SLIME_TRY_ASSIGN(kind, ir.string("kind"));
        if (name.empty()) return fail("bundle item needs a name", ir.child("name"));
        m.bundle.emplace_back(name, kind);
        collect(ir, warnings);
      }
    }
    collect(br, warnings);
  }
  if (m.name.empty() && m.kind.empty()) return fail("a module needs a `name` or a `kind`", path);
  collect(r, warnings);
  return m;
}

Result<SlimeConfig> parse_slime_config(const Json& doc, const std::string& file) {
  SlimeConfig cfg;
  cfg.from_file = true;
  auto with_file = [&](Error e) {
    if (e.file.empty()) e.file = file;
    return std::unexpected<Error>(std::move(e));
  };

  // Which shape: a SlimeBoot, {module: [...]}, or one module entry.
  const Json* list = nullptr;
  std::string list_path = "module";
  if (const Json* kind = member(doc, "kind"); kind && kind->is_string() && *kind == "SlimeBoot") {
    const Json* spec = member(doc, "spec");
    list = spec ? member(*spec, "module") : nullptr;
    list_path = "spec.module";
    if (!list) return with_file(fail("a SlimeBoot needs spec.module", "spec.module").error());
  } else if (const Json* mods = member(doc, "module"); mods && doc.is_object() && !member(doc, "name") && !member(doc, "kind")) {
    list = mods;
  }

  std::vector<ModuleConfig> entries;
  if (list) {
    if (!list->is_array()) return with_file(fail("expected a list of modules", list_path).error());
    for (size_t i = 0; i < list->size(); ++i) {
      auto m = parse_module_config((*list)[i], list_path + "[" + std::to_string(i) + "]", cfg.warnings);
      if (!m) return with_file(m.error());
      entries.push_back(std::move(*m));
    }
  } else {
    auto m = parse_module_config(doc, "", cfg.warnings);
    if (!m) return with_file(m.error());
    entries.push_back(std::move(*m));
  }

  for (size_t i = 0; i < entries.size(); ++i) {
    const ModuleConfig& e = entries[i];
    if (e.mode == "BundleItem") continue;  // runs only through its bundle
    if (!e.enable) continue;
    if (e.bundle.empty()) {
      cfg.modules.push_back(e);
      continue;
    }
    for (size_t j = 0; j < e.bundle.size(); ++j) {
      const auto& [item_name, item_kind] = e.bundle[j];
      auto it = std::find_if(entries.begin(), entries.end(),
                             [&](const ModuleConfig& c) { return c.name == item_name && c.bundle.empty(); });
      std::string field = list_path + "[" + std::to_string(i) + "].bundle.modules[" + std::to_string(j) + "]";
      if (it == entries.end())
        return with_file(fail("bundle names module '" + item_name + "' but no module entry has that name", field).error());
      if (!it->enable) continue;
      ModuleConfig item = *it;
      if (item.kind.empty()) item.kind = item_kind;
      const Json* base = member(e.raw, "global");
      const Json* over = member(it->raw, "global");
      std::vector<Error> ignored;  // both globals were already checked on their own
      auto merged = parse_global(overlay_global(base ? *base : Json(), over ? *over : Json()), field, ignored);
      if (!merged) return with_file(merged.error());
      item.global = std::move(*merged);
      if (!member(it->raw, "metric")) item.metric = e.metric;
      cfg.modules.push_back(std::move(item));
    }
  }
  for (auto& w : cfg.warnings)
    if (w.file.empty()) w.file = file;
  return cfg;
}

}  // namespace slime::core

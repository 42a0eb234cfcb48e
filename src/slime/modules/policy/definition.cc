#include "slime/modules/policy/definition.h"

#include <charconv>
#include <set>

#include "slime/expr/template.h"
#include "slime/modules/policy/fill.h"

namespace slime::policy {
namespace {

using core::Json;

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(s[0])) return false;
  for (char c : s)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

// Names the object fields a template may read; metric values and rule states are checked separately.
bool is_object_field(std::string_view ref) {
  return ref.starts_with("metadata.") || ref.starts_with("spec.") || ref.starts_with("status.");
}

const std::set<std::string, std::less<>> kReservedNames = {"metadata", "spec", "status", "rule"};

// "30s", "2m", "1h", "500ms", or a whole number of seconds.
std::optional<std::chrono::milliseconds> parse_period(const Json& v) {
  if (v.is_number_integer()) return std::chrono::seconds(v.get<int64_t>());
  if (!v.is_string()) return std::nullopt;
  const std::string& s = v.get_ref<const std::string&>();
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || n < 0 || n > 86'400'000) return std::nullopt;
  std::string_view unit(end, s.data() + s.size() - end);
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit == "s" || unit.empty()) return std::chrono::seconds(n);
  if (unit == "m") return std::chrono::minutes(n);
  if (unit == "h") return std::chrono::hours(n);
  return std::nullopt;
}

// Groups whose kinds belong to Kubernetes or Istio: their status is not ours to write.
bool foreign_group(std::string_view group) {
  return group.empty() || group == "apps" || group == "batch" || group == "autoscaling" || group == "policy" ||
         group.ends_with(".k8s.io") || group.ends_with("istio.io");
}

class Validator {
 public:
  Validator(const DefinitionSource& source, std::vector<core::Error>& errors) : src_(source), errors_(errors) {}

  void fail(const std::string& field, std::string message) { errors_.push_back(src_.error(field, std::move(message))); }

  void unknown_keys(const Json& obj, const std::string& path, const std::string& level) {
    const std::vector<std::string>& known = definition_fields().at(level);
    for (auto& [k, _] : obj.items()) {
      bool ok = false;
      for (const auto& n : known) ok |= n == k;
      if (!ok) {
        std::string list;
        for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
        fail(core::join_path(path, k), "unknown field (expected one of: " + list + ")");
      }
    }
  }

  const std::string* string_at(const Json& obj, const std::string& path, const char* key, bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) fail(core::join_path(path, key), "is required");
      return nullptr;
    }
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      fail(core::join_path(path, key), "expected a non-empty string, got " + it->dump());
      return nullptr;
    }
    return &it->get_ref<const std::string&>();
  }

  // Checks a template string: well-formed placeholders, each naming something `allowed` accepts.
  template <typename Allowed>
  void check_template(const std::string& text, const std::string& field, Allowed allowed) {
    auto refs = expr::references(text);
    if (!refs) return fail(field, refs.error().message);
    for (const auto& r : *refs)
      if (std::string why = allowed(r); !why.empty()) fail(field, "{{." + r + "}}: " + why);
  }

  Watch watch(const Json& w) {
    Watch out;
    if (!w.is_object()) {
      fail("watch", "expected a mapping {apiVersion, kind, namespaces?, selector?}");
      return out;
    }
    unknown_keys(w, "watch", "watch");
    const std::string* api = string_at(w, "watch", "apiVersion", true);
    const std::string* kind = string_at(w, "watch", "kind", true);
    if (api && kind) out.gvk = core::Gvk::from(*api, *kind);
    if (auto it = w.find("namespaces"); it != w.end()) {
      if (!it->is_array()) fail("watch.namespaces", "expected a list of namespace names");
      else
        for (size_t i = 0; i < it->size(); ++i) {
          if ((*it)[i].is_string() && !(*it)[i].get_ref<const std::string&>().empty())
            out.namespaces.push_back((*it)[i].get<std::string>());
          else fail("watch.namespaces[" + std::to_string(i) + "]", "expected a namespace name");
        }
    }
    if (auto it = w.find("selector"); it != w.end()) {
      auto sel = core::LabelSelector::parse(*it);
      if (!sel) fail(core::join_path("watch.selector", sel.error().field), sel.error().message);
      else out.selector = std::move(*sel);
    }
    return out;
  }

  void queries(const Json& q, Definition& d) {
    if (!q.is_object()) return fail("queries", "expected a mapping of value name -> PromQL template");
    for (auto& [name, text] : q.items()) {
      std::string field = "queries." + name;
      if (!is_identifier(name) || kReservedNames.count(name))
        fail(field, "a value name is a letter or _ followed by letters, digits or _ (at most 63), and not "
                    "metadata, spec, status or rule");
      if (!text.is_string() || text.get_ref<const std::string&>().empty()) {
        fail(field, "expected a PromQL query template (a string)");
        continue;
      }
      check_template(text.get<std::string>(), field, [](const std::string& r) -> std::string {
        return is_object_field(r) ? "" : "a query may only read the watched object's fields (metadata., spec., status.)";
      });
      d.queries[name] = text.get<std::string>();
    }
  }

  std::string value_reference(const std::string& r, const Definition& d, bool rule_states) const {
    if (is_object_field(r) || d.queries.count(r)) return "";
    if (rule_states && r.starts_with("rule.")) {
      for (const auto& rule : d.rules)
        if (r == "rule." + rule.name) return "";
      return "no rule of that name";
    }
    return "not a query name nor an object field (metadata., spec., status.)" +
           std::string(rule_states ? " nor rule.<name>" : "");
  }

  // Every string in an output/status template: placeholders checked, `=expressions` parsed.
  void check_strings(const Json& v, const std::string& field, const Definition& d) {
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      auto allowed = [&](const std::string& r) { return value_reference(r, d, true); };
      check_template(s, field, allowed);
      if (s.starts_with("="))
        if (auto r = expr::check_expression(split_expression(s).body); !r) fail(field, "expression: " + r.error().message);
    } else if (v.is_object()) {
      for (auto& [k, c] : v.items()) check_strings(c, core::join_path(field, k), d);
    } else if (v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i) check_strings(v[i], field + "[" + std::to_string(i) + "]", d);
    }
  }

  void output(const Json& o, const std::string& field, const Definition& d) {
    if (!o.is_object()) return fail(field, "expected an object template {apiVersion, kind, metadata: {name}, ...}");
    string_at(o, field, "apiVersion", true);
    string_at(o, field, "kind", true);
    auto meta = o.find("metadata");
    if (meta == o.end() || !meta->is_object()) return fail(field + ".metadata", "expected a mapping with a name");
    string_at(*meta, field + ".metadata", "name", true);
    for (const char* k : {"apiVersion", "kind"})
      if (o.contains(k) && o[k].is_string() && o[k].get_ref<const std::string&>().find("{{") != std::string::npos)
        fail(field + "." + k, "must be literal (the module declares the kinds it writes up front)");
    check_strings(o, field, d);
  }

  void rules(const Json& rs, Definition& d) {
    if (!rs.is_array() || rs.empty()) return fail("rules", "expected a non-empty list of {name, when, outputs}");
    std::set<std::string> names;
    // Names first: outputs may read any rule's state.
    for (size_t i = 0; i < rs.size(); ++i) {
      std::string field = "rules[" + std::to_string(i) + "]";
      Rule r;
      if (!rs[i].is_object()) {
        fail(field, "expected a mapping {name, when, outputs}");
        continue;
      }
      if (const std::string* n = string_at(rs[i], field, "name", true)) {
        if (!is_identifier(*n)) fail(field + ".name", "a rule name is a letter or _ followed by letters, digits or _");
        else if (!names.insert(*n).second) fail(field + ".name", "duplicate rule name '" + *n + "'");
        r.name = *n;
      }
      d.rules.push_back(std::move(r));
    }
    for (size_t i = 0; i < rs.size(); ++i) {
      if (!rs[i].is_object()) continue;
      std::string field = "rules[" + std::to_string(i) + "]";
      unknown_keys(rs[i], field, "rules[]");
      Rule& r = d.rules[i];
      if (const std::string* w = string_at(rs[i], field, "when", true)) {
        check_template(*w, field + ".when", [&](const std::string& ref) { return value_reference(ref, d, false); });
        if (auto c = expr::check_expression(*w); !c) fail(field + ".when", c.error().message);
        r.when = *w;
      }
      if (auto it = rs[i].find("outputs"); it != rs[i].end()) {
        if (!it->is_array()) {
          fail(field + ".outputs", "expected a list of object templates");
          continue;
        }
        for (size_t j = 0; j < it->size(); ++j) output((*it)[j], field + ".outputs[" + std::to_string(j) + "]", d);
        r.outputs = it->get<std::vector<Json>>();
      }
    }
  }

  Definition definition(const Json& doc) {
    Definition d;
    if (!doc.is_object()) {
      fail("", "expected a mapping {watch, queries, rules, status, refresh, hysteresis}");
      return d;
    }
    unknown_keys(doc, "", "");
    if (auto it = doc.find("description"); it != doc.end() && !it->is_string()) fail("description", "expected a string");
    if (auto it = doc.find("watch"); it != doc.end()) d.watch = watch(*it);
    else fail("watch", "is required");
    if (auto it = doc.find("queries"); it != doc.end()) queries(*it, d);
    if (auto it = doc.find("rules"); it != doc.end()) rules(*it, d);
    else fail("rules", "is required");
    if (auto it = doc.find("status"); it != doc.end()) {
      if (!it->is_object()) fail("status", "expected a mapping (the status template)");
      else if (foreign_group(d.watch.gvk.group))
        fail("status", "a status is written back only to a kind of your own (a custom resource), not to " +
                           d.watch.gvk.group_kind().str());
      else {
        check_strings(*it, "status", d);
        d.status = *it;
      }
    }
    if (auto it = doc.find("refresh"); it != doc.end()) {
      auto p = parse_period(*it);
      if (!p || *p < std::chrono::seconds(1))
        fail("refresh", "expected a period of at least 1s (\"30s\", \"2m\", \"1h\"), got " + it->dump());
      else d.refresh = *p;
    }
    if (auto it = doc.find("hysteresis"); it != doc.end()) {
      if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 1000)
        fail("hysteresis", "expected a whole number of ticks from 0 to 1000, got " + it->dump());
      else d.hysteresis = static_cast<int>(it->get<int64_t>());
    }
    return d;
  }

 private:
  const DefinitionSource& src_;
  std::vector<core::Error>& errors_;
};

}  // namespace

const std::map<std::string, std::vector<std::string>>& definition_fields() {
  static const std::map<std::string, std::vector<std::string>> kFields = {
      {"", {"description", "hysteresis", "queries", "refresh", "rules", "status", "watch"}},
      {"watch", {"apiVersion", "kind", "namespaces", "selector"}},
      {"rules[]", {"name", "outputs", "when"}},
  };
  return kFields;
}

core::Error DefinitionSource::error(const std::string& field, std::string message) const {
  core::Error e;
  e.file = file;
  e.field = core::join_path(field_prefix, field);
  e.message = std::move(message);
  // The field's own line, or its nearest ancestor's (a missing field is reported where its parent is).
  for (std::string f = field; e.line == 0;) {
    if (auto it = lines.find(f); it != lines.end()) e.line = it->second;
    if (f.empty()) break;
    auto cut = f.find_last_of(".[");
    f = cut == std::string::npos ? "" : f.substr(0, cut);
  }
  return e;
}

Loaded load_definition(const core::ModuleConfig& config) {
  Loaded out;
  DefinitionSource& src = out.source;
  const Json& g = config.general;
  auto str = [&](const char* k) { return g.is_object() && g.contains(k) && g[k].is_string() ? g[k].get<std::string>() : ""; };
  src.file = str("definitionFile");
  Json doc;
  if (std::string err = str("definitionError"); !err.empty()) {
    src.field_prefix = "general.definition";
    out.errors.push_back(src.error("", err));
    return out;
  }
  if (g.is_object() && g.contains("definitionText")) {
    auto parsed = core::parse_yaml(str("definitionText"), src.file, &src.lines);
    if (!parsed) {
      out.errors.push_back(parsed.error());
      return out;
    }
    doc = std::move(*parsed);
  } else if (g.is_object() && g.contains("definition") && g["definition"].is_object()) {
    src.field_prefix = "general.definition";
    doc = g["definition"];
    // Lines of the inline definition in the config file, when the config loader could tell them.
    if (auto it = g.find("definitionLines"); it != g.end() && it->is_object())
      for (auto& [path, line] : it->items())
        if (line.is_number_integer()) src.lines[path] = line.get<int>();
  } else if (g.is_object() && g.contains("definition") && g["definition"].is_string()) {
    src.field_prefix = "general.definition";
    out.errors.push_back(src.error("", "names the file " + g["definition"].dump() +
                                           ", which was not read (the config loader reads definition files)"));
    return out;
  } else {
    src.field_prefix = "general.definition";
    out.errors.push_back(src.error("", "is required: a definition file name, or the definition inline (a mapping)"));
    return out;
  }
  Validator v(src, out.errors);
  Definition d = v.definition(doc);
  if (out.errors.empty()) out.definition = std::move(d);
  return out;
}

}  // namespace slime::policy

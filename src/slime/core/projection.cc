#include "slime/core/projection.h"

namespace slime::core {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string::npos) dot = path.size();
    if (dot > start) out.push_back(path.substr(start, dot - start));
    start = dot + 1;
  }
  return out;
}

// What identifies an object and its version to the store, the informer and the runtime.
const std::vector<std::vector<std::string>>& identity() {
  static const std::vector<std::vector<std::string>> paths = {
      {"apiVersion"}, {"kind"}, {"metadata", "name"}, {"metadata", "namespace"}, {"metadata", "uid"},
      {"metadata", "resourceVersion"}, {"metadata", "generation"}, {"metadata", "deletionTimestamp"}};
  return paths;
}

// Moves the value at path[at..] of `from` (if any) to the same place in `to`. A path that meets an array
// goes on in each element ("endpoints.addresses" keeps the addresses of every endpoint), so `to` gets an
// array of the same length whose elements hold just that.
void move_path(Json& from, Json& to, const std::vector<std::string>& path, size_t at = 0) {
  if (from.is_array()) {
    if (!to.is_array()) to = Json::array();
    for (size_t i = 0; i < from.size(); ++i) {
      if (to.size() <= i) to.push_back(Json::object());
      move_path(from[i], to[i], path, at);
    }
    return;
  }
  if (!from.is_object() || !(to.is_object() || to.is_null())) return;
  auto it = from.find(path[at]);
  if (it == from.end()) return;
  if (at + 1 == path.size()) {
    to[path[at]] = std::move(*it);
    return;
  }
  if (auto existing = to.find(path[at]); to.is_object() && existing != to.end()) {
    move_path(*it, *existing, path, at + 1);
    return;
  }
  // Only a path that leads somewhere leaves a trace: no empty parents for absent leaves.
  Json next;
  move_path(*it, next, path, at + 1);
  if (!next.is_null() && !(next.is_object() && next.empty())) to[path[at]] = std::move(next);
}

}  // namespace

Projection Projection::of(const std::vector<const Module*>& modules) {
  Projection p;
  std::set<GroupKind> written, whole, readers;
  std::map<GroupKind, int> needing;
  for (const auto* m : modules) {
    for (const auto& gk : m->writes()) written.insert(gk);
    std::map<GroupKind, const KindFields*> declared;
    auto fields = m->read_fields();
    for (const auto& f : fields) declared[f.kind] = &f;
    for (const auto& gk : m->reads()) {
      readers.insert(gk);
      auto it = declared.find(gk);
      if (it == declared.end()) {
        whole.insert(gk);
        ++needing[gk];
        continue;
      }
      if (!it->second->needed) continue;
      ++needing[gk];
      if (it->second->scanned) p.scanned_.insert(gk);
      auto& kept = p.paths_[gk];
      for (const auto& path : it->second->paths)
        if (auto segs = split_path(path); !segs.empty()) kept.insert(std::move(segs));
    }
  }
  for (const auto& gk : readers)
    if (!needing[gk] && !written.contains(gk)) p.unneeded_.insert(gk);
  for (const auto& gk : whole) p.paths_.erase(gk);
  for (const auto& gk : p.unneeded_) p.paths_.erase(gk);
  std::erase_if(p.scanned_, [&](const GroupKind& gk) { return !p.paths_.contains(gk); });
  // A written kind no module reads stays whole (nothing declared), as does one a reader takes whole.
  for (const auto& gk : written)
    if (p.paths_.contains(gk)) p.written_.insert(gk);
  return p;
}

bool Projection::metadata_only(const GroupKind& gk) const {
  auto it = paths_.find(gk);
  if (it == paths_.end() || written_.contains(gk)) return false;  // written objects are cached whole
  for (const auto& path : it->second)
    if (path.front() != "metadata") return false;
  return true;
}

std::vector<std::string> Projection::paths(const GroupKind& gk) const {
  std::vector<std::string> out;
  auto it = paths_.find(gk);
  if (it == paths_.end()) return out;
  for (const auto& segs : it->second) {
    std::string s;
    for (const auto& seg : segs) s += (s.empty() ? "" : ".") + seg;
    out.push_back(std::move(s));
  }
  return out;
}

bool Projection::packs(const Object& obj) const {
  if (obj.packed()) return false;
  auto gk = obj.key().gk;
  return paths_.contains(gk) && !scanned_.contains(gk);
}

void Projection::apply(Object& obj) const {
  auto it = paths_.find(obj.key().gk);
  if (it == paths_.end()) return;
  if (written_.contains(it->first) && !obj.label(kOwnerModuleLabel).empty()) return;
  Json& doc = obj.json();
  Json out = Json::object();
  for (const auto& path : identity()) move_path(doc, out, path);
  for (const auto& path : it->second) move_path(doc, out, path);
  doc = std::move(out);
}

}  // namespace slime::core

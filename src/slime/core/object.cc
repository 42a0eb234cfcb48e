#include "slime/core/object.h"

#include "slime/core/json_diff.h"

namespace slime::core {
namespace {
const Json& null_json() {
  static const Json kNull;
  return kNull;
}
}  // namespace

void Object::pack() {
  if (packed_ || !doc_.is_object()) return;
  auto bytes = std::make_shared<std::vector<std::uint8_t>>(Json::to_msgpack(doc_));
  bytes->shrink_to_fit();
  Json envelope = Json::object();
  for (const char* key : {"apiVersion", "kind"})
    if (auto it = doc_.find(key); it != doc_.end()) envelope[key] = std::move(*it);
  if (auto m = doc_.find("metadata"); m != doc_.end() && m->is_object()) {
    Json& out = envelope["metadata"] = Json::object();
    // No uid or generation: what reads those (events, owner references, observedGeneration) reads whole
    // objects from a snapshot. At 50,000 Sidecars the two are ≈ 15 MB of tree.
    for (const char* key : {"name", "namespace", "resourceVersion", "deletionTimestamp", "labels", "annotations", "finalizers"})
      if (auto it = m->find(key); it != m->end()) out[key] = std::move(*it);
  }
  doc_ = std::move(envelope);
  packed_ = std::move(bytes);
}

Object Object::unpacked() const {
  if (!packed_) return *this;
  // Our own bytes, packed from a valid tree; should they not unpack, the envelope is all there is.
  Json whole = Json::from_msgpack(*packed_, true, false);
  return whole.is_object() ? Object(std::move(whole)) : Object(doc_);
}

bool Object::same_as(const Object& other) const {
  if (!json_equal(doc_, other.doc_)) return false;
  if (!packed_ || !other.packed_) return !packed_ && !other.packed_;
  return packed_ == other.packed_ || *packed_ == *other.packed_;
}

Object::Object(std::string_view api_version, std::string_view kind, std::string_view ns,
               std::string_view name) {
  doc_ = Json::object();
  doc_["apiVersion"] = api_version;
  doc_["kind"] = kind;
  auto& m = meta();
  m["name"] = name;
  if (!ns.empty()) m["namespace"] = ns;
}

Result<Object> Object::from_json(Json doc) {
  if (!doc.is_object()) return fail("expected a Kubernetes object (a mapping), got " + std::string(doc.type_name()));
  auto need_string = [&](const Json& parent, const char* key, const char* path) -> Result<void> {
    auto it = parent.find(key);
    if (it == parent.end()) return fail(std::string("missing required field"), path);
    if (!it->is_string() || it->get_ref<const std::string&>().empty())
      return fail(std::string("expected a non-empty string, got ") + it->type_name(), path);
    return {};
  };
  if (auto r = need_string(doc, "apiVersion", "apiVersion"); !r) return std::unexpected(r.error());
  if (auto r = need_string(doc, "kind", "kind"); !r) return std::unexpected(r.error());
  auto meta = doc.find("metadata");
  if (meta == doc.end()) return fail("missing required field", "metadata");
  if (!meta->is_object()) return fail("expected a mapping", "metadata");
  if (auto r = need_string(*meta, "name", "metadata.name"); !r) return std::unexpected(r.error());
  if (auto ns = meta->find("namespace"); ns != meta->end() && !ns->is_string())
    return fail("expected a string", "metadata.namespace");
  for (const char* m : {"labels", "annotations"}) {
    auto it = meta->find(m);
    if (it == meta->end() || it->is_null()) continue;
    if (!it->is_object()) return fail("expected a mapping of strings", std::string("metadata.") + m);
    for (auto& [k, v] : it->items())
      if (!v.is_string())
        return fail(std::string("expected a string value, got ") + v.type_name(),
                    std::string("metadata.") + m + "." + k);
  }
  return Object(std::move(doc));
}

std::string Object::ref() const {
  std::string out = kind() + " ";
  if (auto n = ns(); !n.empty()) out += n + "/";
  return out + name();
}

int64_t Object::generation() const {
  const Json& m = member("metadata");
  if (!m.is_object()) return 0;
  auto it = m.find("generation");
  return it != m.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string Object::label(std::string_view key) const {
  const Json& m = member("metadata");
  if (!m.is_object()) return {};
  auto l = m.find("labels");
  if (l == m.end() || !l->is_object()) return {};
  auto it = l->find(std::string(key));
  return it != l->end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Object::annotation(std::string_view key) const {
  const Json& m = member("metadata");
  if (!m.is_object()) return {};
  auto l = m.find("annotations");
  if (l == m.end() || !l->is_object()) return {};
  auto it = l->find(std::string(key));
  return it != l->end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& Object::owner_references() const {
  const Json& m = member("metadata");
  if (!m.is_object()) return null_json();
  auto it = m.find("ownerReferences");
  return it == m.end() ? null_json() : *it;
}

void Object::add_owner(const Object& owner, bool controller) {
  Json ref = {{"apiVersion", owner.api_version()}, {"kind", owner.kind()}, {"name", owner.name()}};
  if (auto uid = owner.uid(); !uid.empty()) ref["uid"] = uid;
  if (controller) {
    ref["controller"] = true;
    ref["blockOwnerDeletion"] = true;
  }
  meta()["ownerReferences"].push_back(std::move(ref));
}

Json& Object::meta() {
  Json& m = doc_["metadata"];
  if (!m.is_object()) m = Json::object();
  return m;
}

std::string Object::str_at(const char* key) const {
  auto it = doc_.find(key);
  return it != doc_.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Object::meta_str(const char* key) const {
  const Json& m = member("metadata");
  if (!m.is_object()) return {};
  auto it = m.find(key);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::map<std::string, std::string> Object::string_map(const char* key) const {
  std::map<std::string, std::string> out;
  const Json& m = member("metadata");
  if (!m.is_object()) return out;
  auto it = m.find(key);
  if (it == m.end() || !it->is_object()) return out;
  for (auto& [k, v] : it->items())
    if (v.is_string()) out.emplace(k, v.get<std::string>());
  return out;
}

const Json& Object::member(const char* key) const {
  if (!doc_.is_object()) return null_json();
  auto it = doc_.find(key);
  return it == doc_.end() ? null_json() : *it;
}

}  // namespace slime::core

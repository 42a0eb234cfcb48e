#include "slime/core/object.h"

#include "slime/core/json_diff.h"
#include "slime/core/msgpack_view.h"
#include "slime/core/unpack_scope.h"

namespace slime::core {
namespace {
const Json& null_json() {
  static const Json kNull;
  return kNull;
}

msgpack::Bytes bytes_of(const std::shared_ptr<const std::vector<std::uint8_t>>& packed) {
  return msgpack::Bytes(packed->data(), packed->size());
}

// The string at `path` in a packed object, as a view into its bytes; empty when absent or not a string.
std::string_view packed_str(const std::shared_ptr<const std::vector<std::uint8_t>>& packed,
                            std::initializer_list<std::string_view> path) {
  auto v = msgpack::at(bytes_of(packed), path);
  auto str = v ? msgpack::as_string(*v) : std::nullopt;
  return str.value_or(std::string_view());
}
}  // namespace

void Object::pack() {
  if (packed_ || !doc_.is_object()) return;
  auto bytes = std::make_shared<std::vector<std::uint8_t>>(Json::to_msgpack(doc_));
  bytes->shrink_to_fit();
  doc_ = Json();
  packed_ = std::move(bytes);
}

const Json& Object::packed_tree() const {
  if (auto* scope = UnpackScope::current()) return scope->tree(packed_);
  return null_json();
}

Json& Object::json() {
  if (packed_) {
    Json whole = Json::from_msgpack(*packed_, true, false);
    doc_ = whole.is_object() ? std::move(whole) : Json::object();
    packed_.reset();
  }
  return doc_;
}

Object Object::unpacked() const {
  if (!packed_) return *this;
  Object whole = *this;
  whole.json();
  return whole;
}

bool Object::same_as(const Object& other) const {
  if (packed_ && other.packed_) return packed_ == other.packed_ || *packed_ == *other.packed_;
  if (packed_ || other.packed_) return false;
  return json_equal(doc_, other.doc_);
}

Json Object::copy_at(std::initializer_list<std::string_view> path) const {
  if (packed_) {
    auto v = msgpack::at(bytes_of(packed_), path);
    if (!v) return Json();
    Json out = Json::from_msgpack(msgpack::value(*v), true, false);
    return out.is_discarded() ? Json() : out;
  }
  const Json* cur = &doc_;
  for (auto key : path) {
    if (!cur->is_object()) return Json();
    auto it = cur->find(key);
    if (it == cur->end()) return Json();
    cur = &*it;
  }
  return *cur;
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
  if (packed_) {
    auto v = msgpack::at(bytes_of(packed_), {"metadata", "generation"});
    auto n = v ? msgpack::as_int(*v) : std::nullopt;
    return n.value_or(0);
  }
  const Json& m = member("metadata");
  if (!m.is_object()) return 0;
  auto it = m.find("generation");
  return it != m.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string Object::label(std::string_view key) const {
  if (packed_) return std::string(packed_str(packed_, {"metadata", "labels", key}));
  const Json& m = member("metadata");
  if (!m.is_object()) return {};
  auto l = m.find("labels");
  if (l == m.end() || !l->is_object()) return {};
  auto it = l->find(std::string(key));
  return it != l->end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Object::annotation(std::string_view key) const {
  if (packed_) return std::string(packed_str(packed_, {"metadata", "annotations", key}));
  const Json& m = member("metadata");
  if (!m.is_object()) return {};
  auto l = m.find("annotations");
  if (l == m.end() || !l->is_object()) return {};
  auto it = l->find(std::string(key));
  return it != l->end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string_view Object::annotation_view(std::string_view key) const {
  if (packed_) return packed_str(packed_, {"metadata", "annotations", key});
  const Json& m = member("metadata");
  if (!m.is_object()) return {};
  auto l = m.find("annotations");
  if (l == m.end() || !l->is_object()) return {};
  auto it = l->find(key);
  return it != l->end() && it->is_string() ? std::string_view(it->get_ref<const std::string&>()) : std::string_view();
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
  Json& m = json()["metadata"];
  if (!m.is_object()) m = Json::object();
  return m;
}

std::string Object::str_at(const char* key) const {
  if (packed_) return std::string(packed_str(packed_, {key}));
  auto it = doc_.find(key);
  return it != doc_.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Object::meta_str(const char* key) const {
  if (packed_) return std::string(packed_str(packed_, {"metadata", key}));
  const Json& m = member("metadata");
  if (!m.is_object()) return {};
  auto it = m.find(key);
  return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::map<std::string, std::string> Object::string_map(const char* key) const {
  std::map<std::string, std::string> out;
  if (packed_) {
    if (auto v = msgpack::at(bytes_of(packed_), {"metadata", key}))
      msgpack::for_each_member(*v, [&](std::string_view k, msgpack::Bytes value) {
        if (auto str = msgpack::as_string(value)) out.emplace(k, *str);
        return true;
      });
    return out;
  }
  const Json& m = member("metadata");
  if (!m.is_object()) return out;
  auto it = m.find(key);
  if (it == m.end() || !it->is_object()) return out;
  for (auto& [k, v] : it->items())
    if (v.is_string()) out.emplace(k, v.get<std::string>());
  return out;
}

const Json& Object::member(const char* key) const {
  const Json& doc = json();
  if (!doc.is_object()) return null_json();
  auto it = doc.find(key);
  return it == doc.end() ? null_json() : *it;
}

}  // namespace slime::core

#pragma once
// A Kubernetes object: the JSON document as read or written, with typed access to the envelope.
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/gvk.h"
#include "slime/core/json.h"

namespace slime::core {

class Object {
 public:
  Object() : doc_(Json::object()) {}
  explicit Object(Json doc) : doc_(std::move(doc)) {}
  Object(std::string_view api_version, std::string_view kind, std::string_view ns, std::string_view name);

  // Checks the envelope: a JSON object with string apiVersion, kind and metadata.name.
  static Result<Object> from_json(Json doc);

  // The document. For a packed object: its tree as unpacked in the current core::UnpackScope (every store
  // read opens one), or null outside any scope.
  const Json& json() const { return packed_ ? packed_tree() : doc_; }
  // Writing unpacks a packed object for good.
  Json& json();

  // The form a cache keeps objects of the kinds modules read only in part: the whole object as MessagePack
  // (a Service cut to what lazyload reads: 2.3 KB as a tree, ≈ 0.4 KB packed), and no tree at all. The
  // envelope accessors below (name, labels, resourceVersion...) read the bytes in place; json(), spec()
  // and status() unpack once per UnpackScope (core/unpack_scope.h); copy_at() decodes just one member.
  void pack();
  bool packed() const { return packed_ != nullptr; }
  // The whole object as a tree: a copy when not packed.
  Object unpacked() const;
  // Equal documents, compared as bytes when both are packed.
  bool same_as(const Object& other) const;
  // A copy of the value at `path` (null when absent): for scans over many objects that need one member
  // each, without unpacking (or, when not packed, copying) the rest.
  Json copy_at(std::initializer_list<std::string_view> path) const;

  std::string api_version() const { return str_at("apiVersion"); }
  std::string kind() const { return str_at("kind"); }
  Gvk gvk() const { return Gvk::from(api_version(), kind()); }
  ObjectKey key() const { return {gvk().group_kind(), ns(), name()}; }
  // "Kind namespace/name", used in messages.
  std::string ref() const;

  std::string name() const { return meta_str("name"); }
  std::string ns() const { return meta_str("namespace"); }
  std::string uid() const { return meta_str("uid"); }
  std::string resource_version() const { return meta_str("resourceVersion"); }
  int64_t generation() const;

  // Labels and annotations as plain string maps; non-string values are skipped.
  std::map<std::string, std::string> labels() const { return string_map("labels"); }
  std::map<std::string, std::string> annotations() const { return string_map("annotations"); }
  std::string label(std::string_view key) const;
  std::string annotation(std::string_view key) const;
  // The same without a copy (or, when packed, a tree): valid while this object lives. For scans that
  // compare one annotation of every object of a kind.
  std::string_view annotation_view(std::string_view key) const;
  const Json& owner_references() const;

  const Json& spec() const { return member("spec"); }
  const Json& status() const { return member("status"); }

  void set_name(std::string_view v) { meta()["name"] = v; }
  void set_namespace(std::string_view v) { meta()["namespace"] = v; }
  void set_label(std::string_view k, std::string_view v) { meta()["labels"][std::string(k)] = v; }
  void set_annotation(std::string_view k, std::string_view v) { meta()["annotations"][std::string(k)] = v; }
  // Appends an ownerReference to `owner` (controller=true, blockOwnerDeletion=true as Kubernetes
  // controllers conventionally set it).
  void add_owner(const Object& owner, bool controller = true);
  Json& meta();

 private:
  std::string str_at(const char* key) const;
  std::string meta_str(const char* key) const;
  std::map<std::string, std::string> string_map(const char* key) const;
  const Json& member(const char* key) const;
  const Json& packed_tree() const;

  Json doc_;  // null while packed
  std::shared_ptr<const std::vector<std::uint8_t>> packed_;  // set by pack(); shared by copies
};

}  // namespace slime::core

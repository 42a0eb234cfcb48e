#pragma once
// The policy engine: a validated definition applied to one watched object at a time.
#include <optional>
#include <string>
#include <vector>

#include "slime/core/module.h"
#include "slime/modules/policy/definition.h"

namespace slime::policy {

// Annotations on every object a policy writes: which policy, and which watched object it is for (so
// that a hand-edited or deleted output re-renders its key).
inline constexpr const char* kPolicyAnnotation = "slime.io/policy";
inline constexpr const char* kPolicyObjectAnnotation = "slime.io/policy-object";

class Engine {
 public:
  Engine(Definition definition, DefinitionSource source, std::string policy_name, std::string slime_namespace);

  const Definition& definition() const { return def_; }
  std::vector<core::GroupKind> writes() const;

  // The watched objects the definition selects (namespaces, label selector; not being deleted).
  std::vector<const core::Object*> watched(const core::Snapshot& snapshot) const;
  bool selects(const core::Object& object) const;
  // "<namespace>/<name>" -> the watched object, when it exists and is selected.
  const core::Object* object_for_key(const core::Snapshot& snapshot, std::string_view key) const;
  // The key an object this policy wrote belongs to.
  std::optional<std::string> owner_key(const core::Object& written) const;

  std::vector<core::MetricRequest> metric_requests(const core::Object& object) const;
  core::ModuleOutput render(const core::RenderContext& ctx, const core::Object& object) const;

 private:
  core::ObjectKey state_key(const core::Object& object) const;

  Definition def_;
  DefinitionSource src_;
  std::string policy_;
  std::string slime_namespace_;
};

}  // namespace slime::policy

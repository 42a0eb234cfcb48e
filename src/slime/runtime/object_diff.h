#pragma once
// "Does the cluster already have what we want?" Desired objects set only the fields Slime owns; the
// live object has more (defaults, server metadata, other managers' fields). Applying only when a
// desired field differs keeps the controller from writing on every reconcile.
#include <string_view>

#include "slime/core/json.h"

namespace slime::runtime {

// True when every field of `desired` (recursively; lists element-wise and of equal length) has the
// same value in `actual`. The top-level `status` is ignored: it is written separately.
bool contains_desired(const core::Json& desired, const core::Json& actual);

// What another writer added that `desired` does not have, as a JSON merge patch (RFC 7386) that removes
// it: a key `desired` lacks is set to null; a list whose items carry such keys is replaced by desired's
// list whole. An empty object when nothing was added. Server-side apply leaves fields other managers set,
// so for kinds whose whole spec Slime owns this is how their additions are undone.
core::Json foreign_removal_patch(const core::Json& desired, const core::Json& actual);

// Kinds whose spec Slime owns whole when it generates them: Istio's networking kinds (no server-side
// defaults). Built-in kinds such as Deployments are not: the server adds defaults to them.
bool owns_whole_spec(std::string_view api_version);

}  // namespace slime::runtime

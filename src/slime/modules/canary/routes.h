#pragma once
// The Istio objects a release writes: a DestinationRule with one subset per version and a VirtualService
// whose single HTTP route splits the host's traffic by weight. Both carry the release's name plus
// "-canary" and an ownerReference to it.
//
// A VirtualService or DestinationRule for the same host that the release did not write is the user's:
// the release writes nothing (two rules for one host would fight in Istio) and reports the conflict.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slime/core/object.h"
#include "slime/core/snapshot.h"
#include "slime/modules/canary/model.h"

namespace slime::canary {

// Weights per subset, in subset order.
using Weights = std::vector<std::pair<std::string, int>>;

std::vector<core::Object> render_routes(const core::Object& owner, std::string_view service,
                                        const std::vector<Subset>& subsets, const Weights& weights);

// "VirtualService default/reviews-by-hand" for the first object of another writer that routes the host.
std::optional<std::string> find_conflict(const core::Snapshot& snap, const core::Object& owner, std::string_view service);

// The weights the release's live VirtualService routes with, when it is there and ours.
std::optional<std::map<std::string, int>> live_weights(const core::Snapshot& snap, const core::Object& owner);

// True when `o` carries an ownerReference to the CanaryRelease `name`.
bool owned_by_release(const core::Object& o, std::string_view name);

}  // namespace slime::canary

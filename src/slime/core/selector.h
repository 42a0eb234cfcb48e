#pragma once
// Kubernetes label selectors: matchLabels + matchExpressions (In, NotIn, Exists, DoesNotExist).
#include <map>
#include <string>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"

namespace slime::core {

using Labels = std::map<std::string, std::string>;

class LabelSelector {
 public:
  enum class Op { kIn, kNotIn, kExists, kDoesNotExist };
  struct Requirement {
    std::string key;
    Op op = Op::kExists;
    std::vector<std::string> values;
  };

  // Parses a metav1.LabelSelector JSON object. null/absent is the empty selector (matches everything,
  // as Kubernetes defines it); callers that want "nothing" for absent check for that themselves.
  static Result<LabelSelector> parse(const Json& j);
  static LabelSelector from_labels(Labels labels);

  bool matches(const Labels& labels) const;
  bool empty() const { return match_labels_.empty() && requirements_.empty(); }
  const Labels& match_labels() const { return match_labels_; }

 private:
  Labels match_labels_;
  std::vector<Requirement> requirements_;
};

// True when every key/value of `subset` is present in `labels` (the matchLabels rule alone).
bool labels_contain(const Labels& labels, const Labels& subset);

}  // namespace slime::core

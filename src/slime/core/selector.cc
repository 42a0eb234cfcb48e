#include "slime/core/selector.h"

#include <algorithm>

namespace slime::core {

Result<LabelSelector> LabelSelector::parse(const Json& j) {
  LabelSelector s;
  if (j.is_null()) return s;
  if (!j.is_object()) return fail(std::string("expected a label selector mapping, got ") + j.type_name());
  if (auto ml = j.find("matchLabels"); ml != j.end() && !ml->is_null()) {
    if (!ml->is_object()) return fail("expected a mapping of strings", "matchLabels");
    for (auto& [k, v] : ml->items()) {
      if (!v.is_string()) return fail(std::string("expected a string, got ") + v.type_name(), "matchLabels." + k);
      s.match_labels_[k] = v.get<std::string>();
    }
  }
  if (auto me = j.find("matchExpressions"); me != j.end() && !me->is_null()) {
    if (!me->is_array()) return fail("expected a list", "matchExpressions");
    for (size_t i = 0; i < me->size(); ++i) {
      const Json& e = (*me)[i];
      std::string path = "matchExpressions[" + std::to_string(i) + "]";
      if (!e.is_object()) return fail("expected a mapping", path);
      Requirement r;
      auto key = e.find("key");
      if (key == e.end() || !key->is_string() || key->get_ref<const std::string&>().empty())
        return fail("expected a non-empty string", path + ".key");
      r.key = key->get<std::string>();
      auto op = e.find("operator");
      std::string ops = op != e.end() && op->is_string() ? op->get<std::string>() : "";
      if (ops == "In") r.op = Op::kIn;
      else if (ops == "NotIn") r.op = Op::kNotIn;
      else if (ops == "Exists") r.op = Op::kExists;
      else if (ops == "DoesNotExist") r.op = Op::kDoesNotExist;
      else return fail("expected one of In, NotIn, Exists, DoesNotExist, got '" + ops + "'", path + ".operator");
      if (auto vals = e.find("values"); vals != e.end() && !vals->is_null()) {
        if (!vals->is_array()) return fail("expected a list of strings", path + ".values");
        for (auto& v : *vals) {
          if (!v.is_string()) return fail("expected a list of strings", path + ".values");
          r.values.push_back(v.get<std::string>());
        }
      }
      bool set_op = r.op == Op::kIn || r.op == Op::kNotIn;
      if (set_op && r.values.empty()) return fail("In and NotIn need at least one value", path + ".values");
      if (!set_op && !r.values.empty()) return fail("Exists and DoesNotExist take no values", path + ".values");
      s.requirements_.push_back(std::move(r));
    }
  }
  return s;
}

LabelSelector LabelSelector::from_labels(Labels labels) {
  LabelSelector s;
  s.match_labels_ = std::move(labels);
  return s;
}

bool LabelSelector::matches(const Labels& labels) const {
  if (!labels_contain(labels, match_labels_)) return false;
  for (const auto& r : requirements_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    switch (r.op) {
      case Op::kExists: if (!has) return false; break;
      case Op::kDoesNotExist: if (has) return false; break;
      case Op::kIn:
        if (!has || std::find(r.values.begin(), r.values.end(), it->second) == r.values.end()) return false;
        break;
      case Op::kNotIn:
        if (has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end()) return false;
        break;
    }
  }
  return true;
}

bool labels_contain(const Labels& labels, const Labels& subset) {
  for (const auto& [k, v] : subset) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace slime::core

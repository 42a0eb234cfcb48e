#include "slime/runtime/owned_keys.h"

#include <algorithm>

namespace slime::runtime {

std::string OwnedKeys::encode(const core::ObjectKey& k) {
  std::string out;
  out.reserve(k.gk.group.size() + k.gk.kind.size() + k.ns.size() + k.name.size() + 3);
  for (const std::string* part : {&k.gk.group, &k.gk.kind, &k.ns}) {
    out += *part;
    out += '\0';
  }
  out += k.name;
  return out;
}

namespace {

core::ObjectKey decode(const std::string& s) {
  std::string parts[4];
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    size_t end = s.find('\0', at);
    if (end == std::string::npos) end = s.size();
    parts[i] = s.substr(at, end - at);
    at = std::min(end + 1, s.size());
  }
  parts[3] = s.substr(at);
  return {{parts[0], parts[1]}, parts[2], parts[3]};
}

}  // namespace

OwnedKeys::OwnedKeys(const std::set<core::ObjectKey>& keys) {
  encoded_.reserve(keys.size());
  for (const auto& k : keys) encoded_.push_back(encode(k));
  std::sort(encoded_.begin(), encoded_.end());
  encoded_.erase(std::unique(encoded_.begin(), encoded_.end()), encoded_.end());
}

void OwnedKeys::insert(const core::ObjectKey& key) {
  std::string e = encode(key);
  auto it = std::lower_bound(encoded_.begin(), encoded_.end(), e);
  if (it == encoded_.end() || *it != e) encoded_.insert(it, std::move(e));
}

bool OwnedKeys::contains_encoded(const std::string& encoded) const {
  return std::binary_search(encoded_.begin(), encoded_.end(), encoded);
}

std::set<core::ObjectKey> OwnedKeys::keys() const {
  std::set<core::ObjectKey> out;
  for (const auto& e : encoded_) out.insert(decode(e));
  return out;
}

}  // namespace slime::runtime

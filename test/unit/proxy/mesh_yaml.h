#pragma once
// A MeshIndex from YAML manifests (Services, Endpoints), for the routing tests.
#include <gtest/gtest.h>

#include <string_view>

#include "slime/core/yaml.h"
#include "slime/proxy/routing/mesh_index.h"
#include "slime/store/memory_store.h"

namespace slime::proxy {

inline MeshIndex mesh_from_yaml(std::string_view yaml) {
  store::MemoryStore mem;
  auto docs = core::parse_yaml_documents(yaml);
  EXPECT_TRUE(docs.errors.empty()) << docs.errors.front().str();
  for (auto& d : docs.documents) mem.put(core::Object(d.json));
  return MeshIndex::build(mem);
}

}  // namespace slime::proxy

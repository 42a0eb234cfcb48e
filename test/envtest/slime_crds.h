#pragma once
// Every custom resource kind Slime defines, read from api/crds/ (what deploy/ and the chart install), so
// the envtest programs that wait for the CRDs to be served never lag behind a new kind.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "slime/core/gvk.h"
#include "slime/core/yaml.h"

namespace slime::testing {

// (group, storage version, kind) of each CustomResourceDefinition under `crd_dir`, sorted by kind.
inline std::vector<core::Gvk> slime_crd_kinds(const std::filesystem::path& crd_dir) {
  std::vector<core::Gvk> out;
  for (const auto& entry : std::filesystem::directory_iterator(crd_dir)) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& doc : core::parse_yaml_documents(text.str(), entry.path().string()).documents) {
      if (doc.json.value("kind", "") != "CustomResourceDefinition") continue;
      const auto& spec = doc.json.at("spec");
      for (const auto& v : spec.at("versions"))
        if (v.value("storage", false))
          out.push_back({spec.at("group").get<std::string>(), v.at("name").get<std::string>(),
                         spec.at("names").at("kind").get<std::string>()});
    }
  }
  std::ranges::sort(out, {}, &core::Gvk::kind);
  return out;
}

}  // namespace slime::testing

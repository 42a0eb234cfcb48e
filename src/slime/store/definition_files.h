#pragma once
// Module configuration can name files whose content a module needs (a policy's `definition: FILE`).
// Modules do no file I/O, so whoever loads the configuration reads those files here and passes their
// text in: `general.definitionText` and `general.definitionFile` (or `general.definitionError` when
// the file cannot be read, which that module alone then reports). An inline definition gets
// `definitionFile` = the config file, so its errors still name a file.
#include <string>

#include "slime/core/config.h"
#include "slime/core/yaml.h"

namespace slime::store {

// Relative names are resolved against the directory of `config_path`. With the config file's parsed
// document and field lines, an inline definition also gets `general.definitionLines` (field path inside
// the definition -> line in the config file), so its errors carry lines too.
void read_definition_files(core::SlimeConfig& config, const std::string& config_path, const core::Json* doc = nullptr,
                           const core::FieldLines* lines = nullptr);

}  // namespace slime::store

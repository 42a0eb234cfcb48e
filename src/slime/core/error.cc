#include "slime/core/error.h"

namespace slime::core {

std::string Error::str() const {
  std::string out;
  if (!file.empty()) {
    out += file;
    if (line > 0) out += ":" + std::to_string(line);
    out += ": ";
  }
  if (document >= 0) out += "document " + std::to_string(document) + ": ";
  if (!object.empty()) out += object + ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

Error&& Error::at_field(std::string prefix) && {
  field = join_path(prefix, field);
  return std::move(*this);
}

Error&& Error::in_object(std::string object_ref) && {
  if (object.empty()) object = std::move(object_ref);
  return std::move(*this);
}

std::string join_path(std::string_view parent, std::string_view child) {
  if (parent.empty()) return std::string(child);
  if (child.empty()) return std::string(parent);
  std::string out(parent);
  if (child.front() != '[') out += '.';
  out += child;
  return out;
}

}  // namespace slime::core

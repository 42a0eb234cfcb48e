#pragma once
// Reading a JSON object field by field the way the original's decoders do (protojson: both the proto
// field name and its lowerCamel JSON name), and reporting every key nobody asked for instead of
// dropping it silently.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "slime/core/error.h"
#include "slime/core/json.h"

namespace slime::core {

// "istio_namespace" -> "istioNamespace"
std::string snake_to_camel(std::string_view s);

class FieldReader {
 public:
  // `obj` must outlive the reader. `path` prefixes field paths in errors and warnings. A null `obj` reads as
  // empty; any other non-object makes ok() false.
  FieldReader(const Json& obj, std::string path);

  bool ok() const { return type_error_.empty(); }
  const std::string& path() const { return path_; }
  std::string child(std::string_view camel) const { return join_path(path_, camel); }

  // Looks a field up by its lowerCamel name, also accepting the snake_case proto name. Marks it known.
  const Json* get(std::string_view camel);
  bool has(std::string_view camel) { return get(camel) != nullptr; }

  Result<std::string> string(std::string_view camel, std::string def = {});
  Result<bool> boolean(std::string_view camel, bool def = false);
  Result<int64_t> integer(std::string_view camel, int64_t def = 0);
  Result<double> number(std::string_view camel, double def = 0);
  // protojson enums: the value name, or its number. `names[i]` is the name of value i.
  Result<int> enumeration(std::string_view camel, std::initializer_list<std::string_view> names, int def = 0);

  // Keys present in the object that no get() asked for, as warnings ("unknown field").
  std::vector<Error> unknown_fields() const;

 private:
  const Json* obj_;
  std::string path_;
  std::string type_error_;
  // Keys consumed, as pointers to the keys inside obj_ (stable while obj_ lives): no string copies on the
  // hot path of decoding thousands of resources.
  std::vector<const std::string*> seen_;
};

}  // namespace slime::core

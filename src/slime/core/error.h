#pragma once
// Errors for untrusted input: every error says where (file, document, line, object, field) and what.
#include <expected>
#include <string>
#include <utility>

namespace slime::core {

struct Error {
  std::string message;   // what was expected vs what was found
  std::string file;      // source file, "-" for stdin, empty when not from a file
  int document = -1;     // 0-based index of the YAML document in the file, -1 when unknown
  int line = 0;          // 1-based line, 0 when unknown
  std::string object;    // "Kind namespace/name" when known
  std::string field;     // dotted field path, e.g. spec.plugin[0].name

  // "file:line: document 2: SmartLimiter default/reviews: spec.sets._base: expected ..."
  std::string str() const;

  // Chainable refinements used while an error travels outwards through the parse layers.
  Error&& at_field(std::string prefix) &&;
  Error&& in_object(std::string object_ref) &&;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for returning a failure: `return fail("expected a string", "spec.name");`
inline std::unexpected<Error> fail(std::string message, std::string field = {}) {
  Error e;
  e.message = std::move(message);
  e.field = std::move(field);
  return std::unexpected<Error>(std::move(e));
}

// Joins a parent field path and a child ("spec" + "name" -> "spec.name", "a" + "[0]" -> "a[0]").
std::string join_path(std::string_view parent, std::string_view child);

}  // namespace slime::core

#pragma once
// The failure of one API call: the HTTP status (0 when the request never got an answer) and the
// Kubernetes Status reason/message. Callers branch on the code (404, 409, 410), so it is kept
// structured instead of being flattened into a core::Error string.
#include <expected>
#include <string>

#include "slime/core/error.h"

namespace slime::kube {

struct ApiError {
  long code = 0;        // HTTP status; 0 = transport failure (connect, TLS, timeout)
  std::string reason;   // Status.reason, e.g. "NotFound", "Conflict", "Expired"
  std::string message;  // Status.message or the transport error

  bool not_found() const { return code == 404; }
  bool conflict() const { return code == 409; }
  bool gone() const { return code == 410; }
  bool transport() const { return code == 0; }
  std::string str() const;
  core::Error to_error(std::string object_ref = {}) const;
};

template <typename T>
using ApiResult = std::expected<T, ApiError>;

inline std::unexpected<ApiError> api_fail(long code, std::string reason, std::string message) {
  return std::unexpected<ApiError>(ApiError{code, std::move(reason), std::move(message)});
}

// Builds an ApiError from a non-2xx response body (a metav1.Status when the server wrote one).
ApiError api_error_from_response(long code, const std::string& body);

}  // namespace slime::kube

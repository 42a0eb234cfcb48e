#include "slime/kube/api_error.h"

#include "slime/core/json.h"
#include "slime/core/json_depth.h"

namespace slime::kube {

std::string ApiError::str() const {
  std::string out = code == 0 ? std::string("transport error") : "HTTP " + std::to_string(code);
  if (!reason.empty()) out += " " + reason;
  if (!message.empty()) out += ": " + message;
  return out;
}

core::Error ApiError::to_error(std::string object_ref) const {
  core::Error e;
  e.message = str();
  e.object = std::move(object_ref);
  return e;
}

ApiError api_error_from_response(long code, const std::string& body) {
  ApiError e{code, {}, {}};
  // The body is untrusted: a proxy in front of the server may answer with HTML or nothing.
  auto doc = core::parse_untrusted_json(body);
  auto kind = doc.is_object() ? doc.find("kind") : doc.end();
  if (doc.is_object() && kind != doc.end() && kind->is_string() && *kind == "Status") {
    if (auto r = doc.find("reason"); r != doc.end() && r->is_string()) e.reason = r->get<std::string>();
    if (auto m = doc.find("message"); m != doc.end() && m->is_string()) e.message = m->get<std::string>();
  } else {
    e.message = body.substr(0, 200);
  }
  return e;
}

}  // namespace slime::kube

#pragma once
// Numbers between Prometheus answers and the calculator: reading a sample value in any of the forms the
// HTTP API or a fixture gives it, and printing a double the way the calculator reads it back.
#include <optional>
#include <string>

#include "slime/core/json.h"

namespace slime::expr {

// A Prometheus sample value: a JSON number, a [timestamp, "value"] pair as the API returns it, or the
// string form ("563.38", "NaN", "+Inf"). nullopt when it is none of these.
std::optional<double> sample_value(const core::Json& v);

// The shortest plain decimal that reads back as `v` ("563.3837582", "2", "NaN", "+Inf"); never exponent
// notation, which the calculator does not read.
std::string format_number(double v);

}  // namespace slime::expr

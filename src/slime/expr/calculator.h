#pragma once
// The arithmetic of SmartLimiter conditions and quotas.
//
// The original (framework/util/calculator.go) has quirks we do not reproduce: equal-precedence chains
// group to the right (10-2-3 = 11), `<` and spaces are rejected, operands are truncated to integers
// before arithmetic and `a&b` means a+b == 2. This calculator is ordinary arithmetic over doubles:
// left-associative, spaces allowed, the usual precedence
//   unary - +  >  * /  >  + -  >  < <= > >= == !=  >  & &&  >  | ||
// Comparisons and logic give 1 or 0; `&`/`&&` and `|`/`||` are logical and/or over "non-zero".
// Division by zero is an error (the original silently gives 0).
#include <string>
#include <string_view>

#include "slime/core/error.h"

namespace slime::expr {

// Evaluates a fully substituted expression (no templates left).
core::Result<double> calculate(std::string_view text);

// Checks that `text` parses, without evaluating it (division by zero is not detected).
core::Result<void> check_syntax(std::string_view text);

}  // namespace slime::expr

#include "slime/expr/calculator.h"

#include <charconv>
#include <cmath>
#include <optional>

namespace slime::expr {
namespace {

using core::fail;
using core::Result;

enum class Op { kMul, kDiv, kAdd, kSub, kLt, kLe, kGt, kGe, kEq, kNe, kAnd, kOr };

int precedence(Op op) {
  switch (op) {
    case Op::kMul:
    case Op::kDiv:
      return 5;
    case Op::kAdd:
    case Op::kSub:
      return 4;
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kEq:
    case Op::kNe:
      return 3;
    case Op::kAnd:
      return 2;
    case Op::kOr:
      return 1;
  }
  return 0;
}

// A precedence-climbing parser that evaluates as it goes (or only checks, when evaluate_ is false).
class Parser {
 public:
  Parser(std::string_view text, bool evaluate) : text_(text), evaluate_(evaluate) {}

  Result<double> run() {
    auto v = expression(1);
    if (!v) return v;
    skip_spaces();
    if (pos_ < text_.size()) return error("unexpected '" + std::string(1, text_[pos_]) + "'");
    return v;
  }

 private:
  std::unexpected<core::Error> error(const std::string& what) const {
    return fail(what + " at offset " + std::to_string(pos_) + " in \"" + std::string(text_) + "\"");
  }

  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  // Reads a binary operator at the cursor without consuming it; returns its length in `len`.
  std::optional<Op> peek_operator(size_t& len) {
    skip_spaces();
    if (pos_ >= text_.size()) return std::nullopt;
    char c = text_[pos_];
    char n = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    len = 1;
    switch (c) {
      case '*': return Op::kMul;
      case '/': return Op::kDiv;
      case '+': return Op::kAdd;
      case '-': return Op::kSub;
      case '<':
        if (n == '=') { len = 2; return Op::kLe; }
        return Op::kLt;
      case '>':
        if (n == '=') { len = 2; return Op::kGe; }
        return Op::kGt;
      case '=':
        if (n == '=') { len = 2; return Op::kEq; }
        return std::nullopt;
      case '!':
        if (n == '=') { len = 2; return Op::kNe; }
        return std::nullopt;
      case '&':
        if (n == '&') len = 2;
        return Op::kAnd;
      case '|':
        if (n == '|') len = 2;
        return Op::kOr;
      default:
        return std::nullopt;
    }
  }

  Result<double> expression(int min_precedence) {
    auto lhs = unary();
    if (!lhs) return lhs;
    double left = *lhs;
    for (;;) {
      size_t len = 0;
      auto op = peek_operator(len);
      if (!op || precedence(*op) < min_precedence) break;
      size_t op_pos = pos_;
      pos_ += len;
      // Left-associative: the right operand only takes operators that bind tighter.
      auto rhs = expression(precedence(*op) + 1);
      if (!rhs) return rhs;
      if (evaluate_) {
        auto v = apply(*op, left, *rhs, op_pos);
        if (!v) return v;
        left = *v;
      }
    }
    return left;
  }

  Result<double> apply(Op op, double a, double b, size_t op_pos) {
    switch (op) {
      case Op::kMul: return a * b;
      case Op::kDiv:
        if (b == 0) {
          pos_ = op_pos;
          return error("division by zero");
        }
        return a / b;
      case Op::kAdd: return a + b;
      case Op::kSub: return a - b;
      case Op::kLt: return a < b ? 1.0 : 0.0;
      case Op::kLe: return a <= b ? 1.0 : 0.0;
      case Op::kGt: return a > b ? 1.0 : 0.0;
      case Op::kGe: return a >= b ? 1.0 : 0.0;
      case Op::kEq: return a == b ? 1.0 : 0.0;
      case Op::kNe: return a != b ? 1.0 : 0.0;
      case Op::kAnd: return (a != 0 && b != 0) ? 1.0 : 0.0;
      case Op::kOr: return (a != 0 || b != 0) ? 1.0 : 0.0;
    }
    return 0.0;
  }

  Result<double> unary() {
    skip_spaces();
    if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+')) {
      bool negate = text_[pos_] == '-';
      ++pos_;
      auto v = unary();
      if (!v) return v;
      return negate ? -*v : *v;
    }
    return primary();
  }

  Result<double> primary() {
    skip_spaces();
    if (pos_ >= text_.size()) return error("expected a number or '('");
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      if (++depth_ > 200) return error("parentheses nested too deeply");
      auto v = expression(1);
      if (!v) return v;
      --depth_;
      skip_spaces();
      if (pos_ >= text_.size() || text_[pos_] != ')') return error("expected ')'");
      ++pos_;
      return v;
    }
    if ((c >= '0' && c <= '9') || c == '.') {
      size_t start = pos_;
      while (pos_ < text_.size() && ((text_[pos_] >= '0' && text_[pos_] <= '9') || text_[pos_] == '.')) ++pos_;
      double value = 0;
      auto [end, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, value, std::chars_format::fixed);
      if (ec != std::errc() || end != text_.data() + pos_ || !std::isfinite(value)) {
        pos_ = start;
        return error("invalid number");
      }
      return value;
    }
    return error("unexpected '" + std::string(1, c) + "'");
  }

  std::string_view text_;
  bool evaluate_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

core::Result<double> calculate(std::string_view text) { return Parser(text, true).run(); }

core::Result<void> check_syntax(std::string_view text) {
  auto r = Parser(text, false).run();
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace slime::expr

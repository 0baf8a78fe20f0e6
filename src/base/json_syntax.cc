#include "base/json_syntax.h"

#include <cstdio>
#include <vector>

namespace berth {
namespace {

// Go's strconv-style quoting of one byte as a rune in single quotes.
std::string quote_char(unsigned char c) {
  if (c == '\'') return "'\\''";
  if (c == '"') return "'\"'";
  char buf[16];
  switch (c) {
    case '\a': return "'\\a'";
    case '\b': return "'\\b'";
    case '\f': return "'\\f'";
    case '\n': return "'\\n'";
    case '\r': return "'\\r'";
    case '\t': return "'\\t'";
    case '\v': return "'\\v'";
    default: break;
  }
  if (c < 0x20 || c == 0x7f) {
    std::snprintf(buf, sizeof buf, "'\\x%02x'", c);
    return buf;
  }
  if (c < 0x80) return std::string("'") + static_cast<char>(c) + "'";
  // A byte >= 0x80 is the rune U+00XX to Go: printable ones as UTF-8.
  if (c < 0xa1 || c == 0xad) {
    std::snprintf(buf, sizeof buf, "'\\u%04x'", c);
    return buf;
  }
  return std::string("'") + static_cast<char>(0xc0 | (c >> 6)) + static_cast<char>(0x80 | (c & 0x3f)) + "'";
}

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

enum class State {
  BeginValue,          // a value must start here
  BeginValueOrEmpty,   // after '[': a value or ']'
  BeginKeyOrEmpty,     // after '{': a key or '}'
  BeginKey,            // after ',' in an object: a key
  EndValue,            // a value ended: what may follow depends on the container
  InString, InEscape, InU1, InU2, InU3, InU4,
  Neg, Zero, Digits, Dot, DotDigits, Exp, ExpSign, ExpDigits,
  InLiteral,
  Done,                // a top-level value ended; only whitespace may follow
};

enum class Frame { ObjectKey, ObjectValue, Array };

class Scanner {
 public:
  std::optional<JsonSyntaxError> run(std::string_view text) {
    for (size_t i = 0; i < text.size(); ++i) {
      bytes_ = i + 1;
      if (!step(static_cast<unsigned char>(text[i]))) return error_;
    }
    // End of input: a number at the top level is complete; anything else open is not.
    if (state_ == State::Zero || state_ == State::Digits || state_ == State::DotDigits || state_ == State::ExpDigits) {
      if (stack_.empty()) return std::nullopt;
    }
    if (state_ == State::Done) return std::nullopt;
    return JsonSyntaxError{"unexpected end of JSON input", text.size()};
  }

 private:
  bool fail_char(unsigned char c, const std::string& context) {
    error_ = JsonSyntaxError{"invalid character " + quote_char(c) + " " + context, bytes_};
    return false;
  }

  // A value ended: the container decides what comes next.
  void end_value() { state_ = stack_.empty() ? State::Done : State::EndValue; }

  bool begin_value(unsigned char c) {
    switch (c) {
      case '{': stack_.push_back(Frame::ObjectKey); state_ = State::BeginKeyOrEmpty; return true;
      case '[': stack_.push_back(Frame::Array); state_ = State::BeginValueOrEmpty; return true;
      case '"': state_ = State::InString; return true;
      case '-': state_ = State::Neg; return true;
      case '0': state_ = State::Zero; return true;
      case 't': literal_ = "true"; break;
      case 'f': literal_ = "false"; break;
      case 'n': literal_ = "null"; break;
      default:
        if (c >= '1' && c <= '9') {
          state_ = State::Digits;
          return true;
        }
        return fail_char(c, "looking for beginning of value");
    }
    literal_pos_ = 1;
    state_ = State::InLiteral;
    return true;
  }

  // The character after a complete value (a number ends only when one comes).
  bool after_value(unsigned char c) {
    if (is_space(c)) {
      end_value();
      return true;
    }
    if (stack_.empty()) return fail_char(c, "after top-level value");
    Frame& top = stack_.back();
    switch (top) {
      case Frame::ObjectKey:
        if (c == ':') {
          top = Frame::ObjectValue;
          state_ = State::BeginValue;
          return true;
        }
        return fail_char(c, "after object key");
      case Frame::ObjectValue:
        if (c == ',') {
          top = Frame::ObjectKey;
          state_ = State::BeginKey;
          return true;
        }
        if (c == '}') {
          stack_.pop_back();
          end_value();
          return true;
        }
        return fail_char(c, "after object key:value pair");
      case Frame::Array:
        if (c == ',') {
          state_ = State::BeginValue;
          return true;
        }
        if (c == ']') {
          stack_.pop_back();
          end_value();
          return true;
        }
        return fail_char(c, "after array element");
    }
    return false;
  }

  bool step(unsigned char c) {
    switch (state_) {
      case State::BeginValue:
        if (is_space(c)) return true;
        return begin_value(c);
      case State::BeginValueOrEmpty:
        if (is_space(c)) return true;
        if (c == ']') {
          stack_.pop_back();
          end_value();
          return true;
        }
        return begin_value(c);
      case State::BeginKeyOrEmpty:
        if (is_space(c)) return true;
        if (c == '}') {
          stack_.pop_back();
          end_value();
          return true;
        }
        [[fallthrough]];
      case State::BeginKey:
        if (is_space(c)) return true;
        if (c == '"') {
          state_ = State::InString;
          return true;
        }
        return fail_char(c, "looking for beginning of object key string");
      case State::EndValue:
        return after_value(c);
      case State::Done:
        if (is_space(c)) return true;
        return fail_char(c, "after top-level value");
      case State::InString:
        if (c == '"') {
          end_value();
          return true;
        }
        if (c == '\\') {
          state_ = State::InEscape;
          return true;
        }
        if (c < 0x20) return fail_char(c, "in string literal");
        return true;
      case State::InEscape:
        switch (c) {
          case 'b': case 'f': case 'n': case 'r': case 't': case '\\': case '/': case '"':
            state_ = State::InString;
            return true;
          case 'u':
            state_ = State::InU1;
            return true;
          default:
            return fail_char(c, "in string escape code");
        }
      case State::InU1:
      case State::InU2:
      case State::InU3:
      case State::InU4:
        if (!is_hex(c)) return fail_char(c, "in \\u hexadecimal character escape");
        state_ = state_ == State::InU4 ? State::InString : static_cast<State>(static_cast<int>(state_) + 1);
        return true;
      case State::Neg:
        if (c == '0') {
          state_ = State::Zero;
          return true;
        }
        if (c >= '1' && c <= '9') {
          state_ = State::Digits;
          return true;
        }
        return fail_char(c, "in numeric literal");
      case State::Digits:
        if (is_digit(c)) return true;
        [[fallthrough]];
      case State::Zero:
        if (c == '.') {
          state_ = State::Dot;
          return true;
        }
        if (c == 'e' || c == 'E') {
          state_ = State::Exp;
          return true;
        }
        return after_value(c);
      case State::Dot:
        if (is_digit(c)) {
          state_ = State::DotDigits;
          return true;
        }
        return fail_char(c, "after decimal point in numeric literal");
      case State::DotDigits:
        if (is_digit(c)) return true;
        if (c == 'e' || c == 'E') {
          state_ = State::Exp;
          return true;
        }
        return after_value(c);
      case State::Exp:
        if (c == '+' || c == '-') {
          state_ = State::ExpSign;
          return true;
        }
        [[fallthrough]];
      case State::ExpSign:
        if (is_digit(c)) {
          state_ = State::ExpDigits;
          return true;
        }
        return fail_char(c, "in exponent of numeric literal");
      case State::ExpDigits:
        if (is_digit(c)) return true;
        return after_value(c);
      case State::InLiteral:
        if (c != static_cast<unsigned char>(literal_[literal_pos_]))
          return fail_char(c, std::string("in literal ") + literal_ + " (expecting " +
                                  quote_char(static_cast<unsigned char>(literal_[literal_pos_])) + ")");
        if (++literal_pos_ == std::string_view(literal_).size()) end_value();
        return true;
    }
    return false;
  }

  State state_ = State::BeginValue;
  std::vector<Frame> stack_;
  const char* literal_ = "";
  size_t literal_pos_ = 0;
  size_t bytes_ = 0;
  JsonSyntaxError error_;
};

}  // namespace

std::optional<JsonSyntaxError> json_syntax_error(std::string_view text) { return Scanner().run(text); }

}  // namespace berth

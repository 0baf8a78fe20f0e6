#include "registry/challenge.h"

#include <string_view>

#include "base/strings.h"

namespace berth::registry {
namespace {

// RFC 7230 tchar, ASCII only (no locale: header bytes may be anything).
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_token68_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}
bool is_ws(char c) { return c == ' ' || c == '\t'; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  void run(std::vector<Challenge>& out) {
    bool in_challenge = false;  // params attach to out.back() only when true
    while (true) {
      while (i_ < s_.size() && (is_ws(s_[i_]) || s_[i_] == ','))
        ++i_;  // empty list elements are allowed (RFC 7230 #rule)
      if (i_ >= s_.size()) return;
      std::string tok = token();
      if (tok.empty()) {
        skip_element();
        continue;
      }
      size_t after_token = i_;
      skip_ws();
      if (i_ < s_.size() && s_[i_] == '=') {
        // "key=value": a parameter, unless no challenge has started yet.
        ++i_;
        skip_ws();
        std::string value;
        if (!in_challenge || !param_value(value)) {
          skip_element();
          continue;
        }
        out.back().params[ascii_lower(std::move(tok))] = std::move(value);
        continue;
      }
      // A token not followed by '=' starts a challenge (the next scheme),
      // when it stands alone: "b\"x" is garbage, not a scheme "b".
      if (after_token < s_.size() && !is_ws(s_[after_token]) && s_[after_token] != ',') {
        skip_element();
        continue;
      }
      out.push_back(Challenge{ascii_lower(std::move(tok)), {}});
      in_challenge = true;
      if (after_token < s_.size() && is_ws(s_[after_token])) skip_token68();
    }
  }

 private:
  void skip_ws() {
    while (i_ < s_.size() && is_ws(s_[i_])) ++i_;
  }

  std::string token() {
    size_t start = i_;
    while (i_ < s_.size() && is_tchar(s_[i_])) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }

  // A token or a quoted-string; false (nothing usable) on an empty token or
  // an unterminated quote.
  bool param_value(std::string& value) {
    if (i_ < s_.size() && s_[i_] == '"') {
      ++i_;
      while (i_ < s_.size()) {
        char c = s_[i_++];
        if (c == '"') return true;
        if (c == '\\') {
          if (i_ >= s_.size()) break;
          c = s_[i_++];
        }
        value.push_back(c);
      }
      return false;
    }
    value = token();
    return !value.empty();
  }

  // "Negotiate abc123==": a credential blob in place of parameters. Only
  // taken when it ends the challenge; Challenge has no field for it.
  void skip_token68() {
    size_t j = i_;
    while (j < s_.size() && is_token68_char(s_[j])) ++j;
    if (j == i_) return;
    while (j < s_.size() && s_[j] == '=') ++j;
    while (j < s_.size() && is_ws(s_[j])) ++j;
    if (j == s_.size() || s_[j] == ',') i_ = j;
  }

  // Resynchronise after garbage: to the next comma outside a quoted string.
  void skip_element() {
    bool quoted = false;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (!quoted && c == ',') return;
      if (c == '"') quoted = !quoted;
      if (c == '\\' && quoted && i_ + 1 < s_.size()) ++i_;
      ++i_;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::vector<Challenge> parse_challenges(const std::vector<std::string>& header_values) {
  std::vector<Challenge> out;
  for (const auto& v : header_values) Parser(v).run(out);
  return out;
}

}  // namespace berth::registry

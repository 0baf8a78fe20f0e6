#include "build/json_array.h"

#include "base/json_syntax.h"
#include "build/go_text.h"

namespace berth::build {
namespace {

bool json_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits of a \u escape at s[i..i+4), or -1.
int u4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int v = 0;
  for (size_t k = 0; k < 4; ++k) {
    int h = hex_value(s[i + k]);
    if (h < 0) return -1;
    v = v * 16 + h;
  }
  return v;
}

// Decodes the (syntactically valid) string literal starting at s[i] == '"';
// returns the index after its closing quote.
size_t decode_string(std::string_view s, size_t i, std::string& out) {
  ++i;
  while (s[i] != '"') {
    if (s[i] != '\\') {
      gotext::Rune r = gotext::decode_rune(s, i);
      gotext::append_rune(out, r.value);  // an invalid byte becomes U+FFFD, as Go's unquote
      i += r.width;
      continue;
    }
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        char32_t r = static_cast<char32_t>(u4(s, i));
        i += 4;
        if (r >= 0xD800 && r < 0xE000) {
          // A surrogate: a pair makes one rune; anything else is U+FFFD
          // (the next escape, if any, is decoded on its own).
          int lo = (r < 0xDC00 && s.substr(i, 2) == "\\u") ? u4(s, i + 2) : -1;
          if (lo >= 0xDC00 && lo < 0xE000) {
            r = 0x10000 + ((r - 0xD800) << 10) + (static_cast<char32_t>(lo) - 0xDC00);
            i += 6;
          } else {
            r = gotext::kRuneError;
          }
        }
        gotext::append_rune(out, r);
        break;
      }
      default: out += e;  // '"', '\\', '/'
    }
  }
  return i + 1;
}

// Skips one (syntactically valid) value that is not a string.
size_t skip_value(std::string_view s, size_t i) {
  int depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      std::string ignored;
      i = decode_string(s, i, ignored);
      if (depth == 0) return i;
      continue;
    }
    if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (depth == 0) return i;
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (c == ',' || json_space(c))) {
      return i;
    }
    ++i;
  }
  return i;
}

}  // namespace

JsonArray parse_json_string_array(std::string_view text, std::vector<std::string>& out) {
  out.clear();
  text = gotext::trim_left_space(text);
  if (text.empty() || text[0] != '[') return JsonArray::NotJson;
  if (json_syntax_error(text)) return JsonArray::NotJson;
  bool all_strings = true;
  size_t i = 1;
  while (true) {
    while (json_space(text[i])) ++i;
    if (text[i] == ']') break;
    if (text[i] == ',') {
      ++i;
      continue;
    }
    if (text[i] == '"') {
      std::string value;
      i = decode_string(text, i, value);
      out.push_back(std::move(value));
    } else {
      all_strings = false;
      i = skip_value(text, i);
    }
  }
  if (!all_strings) {
    out.clear();
    return JsonArray::NotStrings;
  }
  return JsonArray::Strings;
}

}  // namespace berth::build

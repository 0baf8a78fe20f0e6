#include "build/go_text.h"

#include <cstdio>

#include "build/unicode_tables.h"

namespace berth::build::gotext {

Rune decode_rune(std::string_view s, size_t pos) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[pos + i]); };
  size_t left = s.size() - pos;
  unsigned char b0 = byte(0);
  if (b0 < 0x80) return {b0, 1};
  auto cont = [&](size_t i) { return i < left && (byte(i) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF && cont(1)) return {char32_t((b0 & 0x1F) << 6 | (byte(1) & 0x3F)), 2};
  if (b0 >= 0xE0 && b0 <= 0xEF && cont(1) && cont(2)) {
    char32_t r = (b0 & 0x0F) << 12 | (byte(1) & 0x3F) << 6 | (byte(2) & 0x3F);
    if (r >= 0x800 && (r < 0xD800 || r > 0xDFFF)) return {r, 3};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    char32_t r = (b0 & 0x07) << 18 | (byte(1) & 0x3F) << 12 | (byte(2) & 0x3F) << 6 | (byte(3) & 0x3F);
    if (r >= 0x10000 && r <= 0x10FFFF) return {r, 4};
  }
  return {kRuneError, 1};
}

void append_rune(std::string& out, char32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) r = kRuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

bool is_space(char32_t r) {
  if (r < 0x100) return r == ' ' || (r >= '\t' && r <= '\r') || r == 0x85 || r == 0xA0;
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F ||
         r == 0x205F || r == 0x3000;
}

bool is_letter(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
  return unicode_letter(r);
}

bool is_digit(char32_t r) {
  if (r < 0x80) return r >= '0' && r <= '9';
  return unicode_digit(r);
}

std::string_view trim_left_space(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    Rune r = decode_rune(s, i);
    if (!is_space(r.value)) break;
    i += r.width;
  }
  return s.substr(i);
}

// The length of the white space rune that ends s, or 0. UTF-8 resynchronises
// at every lead byte, so a space's encoding at the end is decoded as that
// space whatever precedes it.
static size_t trailing_space(std::string_view s) {
  if (s.empty()) return 0;
  unsigned char last = static_cast<unsigned char>(s.back());
  if (last < 0x80) return is_space(last) ? 1 : 0;
  for (size_t n : {2, 3}) {
    if (s.size() < n) break;
    Rune r = decode_rune(s, s.size() - n);
    if (r.width == n && is_space(r.value)) return n;
  }
  return 0;
}

std::string_view trim_space(std::string_view s) {
  s = trim_left_space(s);
  while (size_t n = trailing_space(s)) s.remove_suffix(n);
  return s;
}

namespace {

bool is_print(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  return unicode_printable(r);
}

void append_hex(std::string& out, const char* prefix, unsigned value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%s%0*x", prefix, digits, value);
  out += buf;
}

}  // namespace

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    Rune r = decode_rune(s, i);
    if (r.value == kRuneError && r.width == 1) {
      append_hex(out, "\\x", static_cast<unsigned char>(s[i]), 2);
      i += 1;
      continue;
    }
    i += r.width;
    char32_t c = r.value;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (is_print(c)) {
      append_rune(out, c);
    } else {
      switch (c) {
        case '\a': out += "\\a"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\v': out += "\\v"; break;
        default:
          if (c < ' ' || c == 0x7F) append_hex(out, "\\x", c, 2);
          else if (c < 0x10000) append_hex(out, "\\u", c, 4);
          else append_hex(out, "\\U", c, 8);
      }
    }
  }
  out += '"';
  return out;
}

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  const size_t n = path.size();
  std::string out;
  size_t r = 0, dotdot = 0;
  if (rooted) {
    out += '/';
    r = dotdot = 1;
  }
  while (r < n) {
    if (path[r] == '/') {
      ++r;  // empty element
    } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
      ++r;  // "."
    } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
      r += 2;  // "..": back to the previous separator, or keep it when it cannot go back
      if (out.size() > dotdot) {
        size_t w = out.size() - 1;
        while (w > dotdot && out[w] != '/') --w;
        out.resize(w);
      } else if (!rooted) {
        if (!out.empty()) out += '/';
        out += "..";
        dotdot = out.size();
      }
    } else {
      if ((rooted && out.size() != 1) || (!rooted && !out.empty())) out += '/';
      for (; r < n && path[r] != '/'; ++r) out += path[r];
    }
  }
  if (out.empty()) return ".";
  return out;
}

}  // namespace berth::build::gotext

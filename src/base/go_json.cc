#include "base/go_json.h"

#include <charconv>
#include <cmath>

namespace berth::go {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[i] (2-4), or 0 when invalid, with
// the ranges Go's utf8.DecodeRune accepts (no overlongs, no surrogates,
// nothing above U+10FFFF).
size_t utf8_sequence(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = at(i);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k)
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  return len;
}

// The short escape of an ASCII control or quote, or 0 for \u00XX.
char short_escape(unsigned char b, JsonEscape style) {
  switch (b) {
    case '"': return '"';
    case '\\': return '\\';
    case '\n': return 'n';
    case '\r': return 'r';
    default: break;
  }
  if (style == JsonEscape::JsonLog) return 0;
  switch (b) {
    case '\b': return 'b';
    case '\f': return 'f';
    case '\t': return 't';
    default: return 0;
  }
}

template <class Json>
void append_value(std::string& out, const Json& j) {
  using T = typename Json::value_t;
  switch (j.type()) {
    case T::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, it.key());
        out.push_back(':');
        append_value(out, it.value());
      }
      out.push_back('}');
      return;
    }
    case T::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& v : j) {
        if (!first) out.push_back(',');
        first = false;
        append_value(out, v);
      }
      out.push_back(']');
      return;
    }
    case T::string: append_json_string(out, j.template get_ref<const std::string&>()); return;
    case T::boolean: out += j.template get<bool>() ? "true" : "false"; return;
    case T::number_integer: out += std::to_string(j.template get<int64_t>()); return;
    case T::number_unsigned: out += std::to_string(j.template get<uint64_t>()); return;
    case T::number_float: out += json_float(j.template get<double>()); return;
    default: out += "null"; return;  // null, discarded, binary
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s, JsonEscape style) {
  out.push_back('"');
  size_t start = 0, i = 0;
  auto flush = [&] {
    if (start < i) out.append(s.data() + start, i - start);
  };
  while (i < s.size()) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&') {
        ++i;
        continue;
      }
      flush();
      if (char c = short_escape(b, style)) {
        out.push_back('\\');
        out.push_back(c);
      } else {
        out.append("\\u00");
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0xF]);
      }
      start = ++i;
      continue;
    }
    size_t len = utf8_sequence(s, i);
    if (len == 0) {
      flush();
      out.append("\\ufffd");
      start = ++i;
      continue;
    }
    // U+2028 and U+2029 (E2 80 A8/A9) end lines in JavaScript: escaped.
    if (len == 3 && b == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      flush();
      out.append("\\u202");
      out.push_back(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? '8' : '9');
      i += 3;
      start = i;
      continue;
    }
    i += len;
  }
  flush();
  out.push_back('"');
}

std::string json_float(double f) {
  if (!std::isfinite(f)) return "null";  // Go refuses to marshal these
  double a = std::fabs(f);
  bool exponent = a != 0 && (a < 1e-6 || a >= 1e21);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f, exponent ? std::chars_format::scientific : std::chars_format::fixed);
  std::string out(buf, r.ptr);
  // Go writes "1e-07" as "1e-7" (and keeps "1e+21").
  size_t n = out.size();
  if (exponent && n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
  return out;
}

void append_json(std::string& out, const nlohmann::ordered_json& value) { append_value(out, value); }
void append_json(std::string& out, const nlohmann::json& value) { append_value(out, value); }

std::string marshal(const nlohmann::ordered_json& value) {
  std::string out;
  append_value(out, value);
  return out;
}

std::string marshal(const nlohmann::json& value) {
  std::string out;
  append_value(out, value);
  return out;
}

}  // namespace berth::go

// Text as Go's standard library sees it, for the Dockerfile language:
// UTF-8 decoding (an invalid byte is U+FFFD of width 1), unicode.IsSpace /
// IsLetter / IsDigit, strings.TrimSpace, strconv.Quote and filepath.Clean.
// moby's parser and lexer are written with these, and their results (which
// characters split words, what an error message quotes) follow from them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::build::gotext {

inline constexpr char32_t kRuneError = 0xFFFD;

struct Rune {
  char32_t value = 0;
  size_t width = 0;  // bytes consumed; 1 for an invalid byte
};

// utf8.DecodeRuneInString(s[pos:]); pos < s.size().
Rune decode_rune(std::string_view s, size_t pos);
// utf8.AppendRune (U+FFFD for a surrogate or a value out of range).
void append_rune(std::string& out, char32_t r);

bool is_space(char32_t r);   // unicode.IsSpace
bool is_letter(char32_t r);  // unicode.IsLetter
bool is_digit(char32_t r);   // unicode.IsDigit
// unicode.IsSpace(rune(b)) of one byte, as moby's byte-wise loops call it
// (so the bytes 0x85 and 0xA0 are spaces there).
inline bool is_byte_space(unsigned char b) {
  return b == ' ' || (b >= '\t' && b <= '\r') || b == 0x85 || b == 0xA0;
}

// strings.TrimLeftFunc(s, unicode.IsSpace) / TrimSpace.
std::string_view trim_left_space(std::string_view s);
std::string_view trim_space(std::string_view s);

// strconv.Quote: what Go's %q and %#v print for a string.
std::string quote(std::string_view s);

// path/filepath.Clean on a '/'-separated path.
std::string clean_path(std::string_view path);

}  // namespace berth::build::gotext

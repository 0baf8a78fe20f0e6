// Go's path/filepath.Match, which Docker's legacy builder uses for COPY/ADD
// source patterns: '*' (any run of non-'/' bytes), '?' (one character, not
// '/'), '[...]' classes ('^' negates, 'a-z' ranges, '\' escapes) and '\'
// escaping the next character. '?' and classes work on UTF-8 characters.
#pragma once

#include <string_view>

namespace berth::buildfs {

enum class GlobMatch { No, Yes, BadPattern };

// Whether name matches pattern as filepath.Match decides (BadPattern for a
// malformed pattern, which Docker treats as no match).
GlobMatch go_match(std::string_view pattern, std::string_view name);

// Docker's containsWildcards: an unescaped '*', '?' or '['.
bool contains_wildcards(std::string_view pattern);

}  // namespace berth::buildfs

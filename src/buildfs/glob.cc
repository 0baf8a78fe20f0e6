#include "buildfs/glob.h"

#include <cstdint>

namespace berth::buildfs {
namespace {

// One UTF-8 character (an invalid byte counts as one character, as Go's
// utf8.RuneError of width 1).
char32_t next_char(std::string_view& s) {
  auto b = static_cast<unsigned char>(s[0]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xe ? 3 : (b >> 3) == 0x1e ? 4 : 0;
  if (len == 0 || len > s.size()) {
    s.remove_prefix(1);
    return 0xfffd;
  }
  char32_t c = len == 1 ? b : len == 2 ? (b & 0x1f) : len == 3 ? (b & 0x0f) : (b & 0x07);
  for (size_t i = 1; i < len; ++i) {
    auto cb = static_cast<unsigned char>(s[i]);
    if ((cb & 0xc0) != 0x80) {
      s.remove_prefix(1);
      return 0xfffd;
    }
    c = (c << 6) | (cb & 0x3f);
  }
  s.remove_prefix(len);
  return c;
}

// One (possibly escaped) character of a class; false on a malformed class.
bool class_char(std::string_view& chunk, char32_t& out) {
  if (chunk.empty() || chunk[0] == '-' || chunk[0] == ']') return false;
  if (chunk[0] == '\\') {
    chunk.remove_prefix(1);
    if (chunk.empty()) return false;
  }
  out = next_char(chunk);
  return !chunk.empty();  // a class must be closed
}

// Splits off the next chunk: leading stars, then up to the next unescaped
// star outside a class.
bool scan_chunk(std::string_view& pattern, std::string_view& chunk) {
  bool star = false;
  while (!pattern.empty() && pattern[0] == '*') {
    pattern.remove_prefix(1);
    star = true;
  }
  bool in_class = false;
  size_t i = 0;
  for (; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size()) ++i;
    } else if (c == '[') {
      in_class = true;
    } else if (c == ']') {
      in_class = false;
    } else if (c == '*' && !in_class) {
      break;
    }
  }
  chunk = pattern.substr(0, i);
  pattern.remove_prefix(i);
  return star;
}

enum class Chunk { Match, NoMatch, Bad };

// Matches chunk against the start of s; on a match, rest is what is left of s.
Chunk match_chunk(std::string_view chunk, std::string_view s, std::string_view& rest) {
  bool failed = false;  // keep parsing after a mismatch to report a bad pattern
  while (!chunk.empty()) {
    if (!failed && s.empty()) failed = true;
    switch (chunk[0]) {
      case '[': {
        char32_t r = 0;
        if (!failed) r = next_char(s);
        chunk.remove_prefix(1);
        bool negated = false;
        if (!chunk.empty() && chunk[0] == '^') {
          negated = true;
          chunk.remove_prefix(1);
        }
        bool match = false;
        int ranges = 0;
        for (;;) {
          if (!chunk.empty() && chunk[0] == ']' && ranges > 0) {
            chunk.remove_prefix(1);
            break;
          }
          char32_t lo, hi;
          if (!class_char(chunk, lo)) return Chunk::Bad;
          hi = lo;
          if (chunk[0] == '-') {
            chunk.remove_prefix(1);
            if (!class_char(chunk, hi)) return Chunk::Bad;
          }
          if (lo <= r && r <= hi) match = true;
          ++ranges;
        }
        if (match == negated) failed = true;
        break;
      }
      case '?':
        if (!failed) {
          if (s[0] == '/') failed = true;
          next_char(s);
        }
        chunk.remove_prefix(1);
        break;
      case '\\':
        chunk.remove_prefix(1);
        if (chunk.empty()) return Chunk::Bad;
        [[fallthrough]];
      default:
        if (!failed) {
          if (chunk[0] != s[0]) failed = true;
          s.remove_prefix(1);
        }
        chunk.remove_prefix(1);
        break;
    }
  }
  if (failed) return Chunk::NoMatch;
  rest = s;
  return Chunk::Match;
}

// Go checks the rest of a pattern for syntax before answering "no match".
bool rest_is_valid(std::string_view pattern) {
  while (!pattern.empty()) {
    std::string_view chunk, ignored;
    scan_chunk(pattern, chunk);
    if (match_chunk(chunk, "", ignored) == Chunk::Bad) return false;
  }
  return true;
}

}  // namespace

GlobMatch go_match(std::string_view pattern, std::string_view name) {
  while (!pattern.empty()) {
    std::string_view chunk;
    bool star = scan_chunk(pattern, chunk);
    if (star && chunk.empty()) return name.find('/') == std::string_view::npos ? GlobMatch::Yes : GlobMatch::No;
    std::string_view t;
    Chunk c = match_chunk(chunk, name, t);
    if (c == Chunk::Match && (t.empty() || !pattern.empty())) {
      name = t;
      continue;
    }
    if (c == Chunk::Bad) return GlobMatch::BadPattern;
    bool advanced = false;
    if (star) {
      // Try the chunk at every later position; a star cannot skip '/'.
      for (size_t i = 0; i < name.size() && name[i] != '/'; ++i) {
        Chunk k = match_chunk(chunk, name.substr(i + 1), t);
        if (k == Chunk::Match) {
          if (pattern.empty() && !t.empty()) continue;  // the last chunk must use up the name
          name = t;
          advanced = true;
          break;
        }
        if (k == Chunk::Bad) return GlobMatch::BadPattern;
      }
    }
    if (advanced) continue;
    return rest_is_valid(pattern) ? GlobMatch::No : GlobMatch::BadPattern;
  }
  return name.empty() ? GlobMatch::Yes : GlobMatch::No;
}

bool contains_wildcards(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      ++i;
    } else if (c == '*' || c == '?' || c == '[') {
      return true;
    }
  }
  return false;
}

}  // namespace berth::buildfs

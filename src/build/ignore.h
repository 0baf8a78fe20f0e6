// .dockerignore: which paths of a build context are left out, with the
// semantics of moby's patternmatcher (MatchesOrParentMatches) over the
// patterns the docker CLI reads from the file (ignorefile.ReadAll).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::build {

class IgnorePatterns {
 public:
  // One pattern a line: a line starting with '#' is a comment, blank lines
  // are skipped, the rest trimmed; a leading '!' makes an exception; paths
  // are cleaned (Go's filepath.Clean) and a leading '/' dropped. A bad
  // pattern (an unclosed '[', a trailing '\', a lone '!') is InvalidArgument
  // naming its line.
  static Result<IgnorePatterns> parse(std::string_view dockerignore_text);

  // Whether `rel` (relative to the context root, '/'-separated, clean, no
  // leading "./") is excluded: the last pattern matching it or one of its
  // parent directories decides, an exception re-including. Patterns: '*'
  // and '?' within a path segment, "[...]" classes, '\' escapes, "**" for
  // any number of segments.
  bool excluded(std::string_view rel) const;

  // Whether a walker may leave out everything under the directory `rel_dir`:
  // it is excluded and no exception pattern could re-include anything under
  // it.
  bool can_skip_dir(std::string_view rel_dir) const;

  bool empty() const { return patterns_.empty(); }

  // A pattern compiled as patternmatcher compiles it: an exact path, a
  // prefix ("dir/**"), a suffix ("**/name") or a sequence of tokens that
  // stands for its regular expression ('*' is Star, "**/" DirStar, ...).
  struct Token {
    enum Kind { Literal, AnyRune, Star, DirStar, AnyTail, Class } kind = Literal;
    char32_t rune = 0;                                  // Literal
    bool negated = false;                               // Class
    std::vector<std::pair<char32_t, char32_t>> ranges;  // Class
  };
  struct Pattern {
    enum Type { Exact, Prefix, Suffix, Regexp } type = Exact;
    std::string text;  // cleaned, without the '!'
    bool exception = false;
    std::vector<Token> tokens;
  };
  // The patterns in order.
  const std::vector<Pattern>& patterns() const { return patterns_; }

 private:
  std::vector<Pattern> patterns_;
};

}  // namespace berth::build

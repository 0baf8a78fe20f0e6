// .dockerignore as the docker CLI reads it (patternmatcher/ignorefile
// ReadAll) and moby's patternmatcher matches it: each pattern is an exact
// path, a prefix ("dir/**"), a suffix ("**/name") or a small regular
// language over runes, which a set-of-states automaton runs here.
#include "build/ignore.h"

#include "build/go_text.h"

namespace berth::build {
namespace {

using Token = IgnorePatterns::Token;
using Pattern = IgnorePatterns::Pattern;

// getEsc of filepath.Match: one character of a class, '\' escaping; false
// for a pattern error.
bool class_char(std::string_view p, size_t& i, char32_t& out) {
  if (i >= p.size() || p[i] == '-' || p[i] == ']') return false;
  if (p[i] == '\\' && ++i >= p.size()) return false;
  auto r = gotext::decode_rune(p, i);
  if (r.value == gotext::kRuneError && r.width == 1) return false;
  i += r.width;
  out = r.value;
  return i < p.size();  // the class must go on (to its ']')
}

// A "[...]" class starting after its '[' at p[i]; false for a pattern error.
bool parse_class(std::string_view p, size_t& i, Token& t) {
  t.kind = Token::Class;
  if (i < p.size() && p[i] == '^') {
    t.negated = true;
    ++i;
  }
  while (true) {
    if (i < p.size() && p[i] == ']' && !t.ranges.empty()) {
      ++i;
      return true;
    }
    char32_t lo = 0, hi = 0;
    if (!class_char(p, i, lo)) return false;
    hi = lo;
    if (p[i] == '-' && !class_char(p, ++i, hi)) return false;
    t.ranges.emplace_back(lo, hi);
  }
}

// filepath.Match's syntax check, which patternmatcher.New runs on every
// pattern: classes well formed, no '\' at the end.
bool valid_glob(std::string_view p) {
  for (size_t i = 0; i < p.size();) {
    if (p[i] == '[') {
      Token t;
      if (!parse_class(p, ++i, t)) return false;
    } else if (p[i] == '\\') {
      if (i + 1 >= p.size()) return false;
      i += 2;
    } else {
      ++i;
    }
  }
  return true;
}

// Pattern.compile: the match type and the tokens of its regular expression.
void compile(Pattern& pat) {
  std::string_view p = pat.text;
  size_t i = p.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // text/scanner skips a BOM
  auto type = Pattern::Exact;
  auto add = [&](Token::Kind kind, char32_t rune = 0) {
    Token t;
    t.kind = kind;
    t.rune = rune;
    pat.tokens.push_back(std::move(t));
  };
  for (int iteration = 0; i < p.size(); ++iteration) {
    auto r = gotext::decode_rune(p, i);
    i += r.width;
    char32_t ch = r.value;
    if (ch == '*') {
      if (i < p.size() && p[i] == '*') {
        ++i;
        if (i < p.size() && p[i] == '/') ++i;  // "**/" is "**"
        if (i == p.size()) {
          if (type == Pattern::Exact) {
            type = Pattern::Prefix;
          } else {
            add(Token::AnyTail);
            type = Pattern::Regexp;
          }
        } else {
          add(Token::DirStar);
          type = Pattern::Regexp;
        }
        if (iteration == 0) type = Pattern::Suffix;
      } else {
        add(Token::Star);
        type = Pattern::Regexp;
      }
    } else if (ch == '?') {
      add(Token::AnyRune);
      type = Pattern::Regexp;
    } else if (ch == '\\' && i < p.size()) {
      auto e = gotext::decode_rune(p, i);
      i += e.width;
      add(Token::Literal, e.value);
      type = Pattern::Regexp;
    } else if (ch == '[') {
      Token t;
      parse_class(p, i, t);  // checked by valid_glob
      pat.tokens.push_back(std::move(t));
      type = Pattern::Regexp;
    } else {
      add(Token::Literal, ch);
      if (ch == ']') type = Pattern::Regexp;
    }
  }
  pat.type = type;
}

bool class_matches(const Token& t, char32_t r) {
  bool in = false;
  for (auto [lo, hi] : t.ranges) in = in || (lo <= r && r <= hi);
  return in != t.negated;
}

// The automaton of a Regexp pattern: state k < n is "before token k", n
// accepts, n + 1 + k is "inside DirStar k" (its `.*` before the '/').
class Automaton {
 public:
  explicit Automaton(const std::vector<Token>& tokens)
      : t_(tokens), n_(tokens.size()), cur_(2 * n_ + 1), next_(2 * n_ + 1) {
    add(cur_, 0);
  }

  void feed(std::string_view s) {
    for (size_t i = 0; i < s.size() && alive_;) {
      auto r = gotext::decode_rune(s, i);
      i += r.width;
      step(r.value);
    }
  }
  bool accepts() const { return alive_ && cur_[n_]; }
  bool alive() const { return alive_; }

 private:
  void add(std::vector<char>& set, size_t state) {
    stack_.push_back(state);
    while (!stack_.empty()) {
      size_t s = stack_.back();
      stack_.pop_back();
      if (set[s]) continue;
      set[s] = 1;
      if (s >= n_) continue;
      auto kind = t_[s].kind;
      if (kind == Token::Star || kind == Token::AnyTail || kind == Token::DirStar) stack_.push_back(s + 1);
      if (kind == Token::DirStar) stack_.push_back(n_ + 1 + s);
    }
  }

  void step(char32_t ch) {
    std::fill(next_.begin(), next_.end(), 0);
    bool any = false;
    for (size_t s = 0; s < cur_.size(); ++s) {
      if (!cur_[s] || s == n_) continue;
      if (s > n_) {  // inside DirStar k: '.' is anything but '\n'
        size_t k = s - n_ - 1;
        if (ch != '\n') add(next_, s);
        if (ch == '/') add(next_, k + 1);
        continue;
      }
      const Token& t = t_[s];
      switch (t.kind) {
        case Token::Literal:
          if (ch == t.rune) add(next_, s + 1);
          break;
        case Token::AnyRune:
          if (ch != '/') add(next_, s + 1);
          break;
        case Token::Star:
          if (ch != '/') add(next_, s);
          break;
        case Token::AnyTail:
          if (ch != '\n') add(next_, s);
          break;
        case Token::Class:
          if (class_matches(t, ch)) add(next_, s + 1);
          break;
        case Token::DirStar:
          break;  // consumed by its inner state
      }
    }
    std::swap(cur_, next_);
    for (char c : cur_) any = any || c;
    alive_ = any;
  }

  const std::vector<Token>& t_;
  size_t n_;
  std::vector<char> cur_, next_;
  std::vector<size_t> stack_;
  bool alive_ = true;
};

bool matches(const Pattern& p, std::string_view path) {
  switch (p.type) {
    case Pattern::Exact:
      return path == p.text;
    case Pattern::Prefix:
      return path.starts_with(std::string_view(p.text).substr(0, p.text.size() - 2));
    case Pattern::Suffix: {
      std::string_view suffix = std::string_view(p.text).substr(2);
      return path.ends_with(suffix) || (!suffix.empty() && suffix[0] == '/' && path == suffix.substr(1));
    }
    case Pattern::Regexp: {
      Automaton a(p.tokens);
      a.feed(path);
      return a.accepts();
    }
  }
  return false;
}

// Whether p could match some path below `dir_slash` ("dir/"), or one of its
// parents below it.
bool could_match_below(const Pattern& p, std::string_view dir_slash) {
  switch (p.type) {
    case Pattern::Exact:
      return std::string_view(p.text).starts_with(dir_slash);
    case Pattern::Prefix: {
      std::string_view prefix = std::string_view(p.text).substr(0, p.text.size() - 2);
      return prefix.starts_with(dir_slash) || dir_slash.starts_with(prefix);
    }
    case Pattern::Suffix:
      return true;
    case Pattern::Regexp: {
      Automaton a(p.tokens);
      a.feed(dir_slash);
      return a.alive();
    }
  }
  return true;
}

Error pattern_error(int line, std::string what) {
  return Error{Errc::InvalidArgument, 0, ".dockerignore line " + std::to_string(line) + ": " + std::move(what)};
}

}  // namespace

Result<IgnorePatterns> IgnorePatterns::parse(std::string_view text) {
  IgnorePatterns out;
  int line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no++ == 0 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    if (line.starts_with('#')) continue;
    std::string_view written = gotext::trim_space(line);
    if (written.empty()) continue;
    // ReadAll: the path after an optional '!' cleaned, made relative.
    bool exception = written[0] == '!';
    std::string path(exception ? gotext::trim_space(written.substr(1)) : written);
    if (!path.empty()) {
      path = gotext::clean_path(path);
      if (path.size() > 1 && path[0] == '/') path.erase(0, 1);
    }
    // patternmatcher.New: cleaned again with its '!', which must not stand alone.
    std::string cleaned = gotext::clean_path(exception ? "!" + path : path);
    Pattern p;
    p.exception = cleaned[0] == '!';
    if (p.exception && cleaned.size() == 1) {
      return std::unexpected(pattern_error(line_no, "illegal exclusion pattern: \"!\""));
    }
    p.text = p.exception ? cleaned.substr(1) : cleaned;
    if (!valid_glob(p.text)) {
      return std::unexpected(pattern_error(line_no, "syntax error in pattern " + gotext::quote(written)));
    }
    compile(p);
    out.patterns_.push_back(std::move(p));
  }
  return out;
}

bool IgnorePatterns::excluded(std::string_view rel) const {
  if (rel.empty() || rel == ".") return false;
  size_t slash = rel.rfind('/');
  std::string_view parent = slash == std::string_view::npos ? std::string_view(".") : rel.substr(0, slash);
  bool matched = false;
  for (const auto& p : patterns_) {
    if (p.exception != matched) continue;  // cannot change the outcome
    bool m = matches(p, rel);
    for (size_t i = 0; !m && parent != "." && i <= parent.size(); ++i)
      if (i == parent.size() || parent[i] == '/') m = matches(p, parent.substr(0, i));
    if (m) matched = !p.exception;
  }
  return matched;
}

bool IgnorePatterns::can_skip_dir(std::string_view rel_dir) const {
  if (!excluded(rel_dir)) return false;
  std::string dir_slash = std::string(rel_dir) + "/";
  for (const auto& p : patterns_)
    if (p.exception && could_match_below(p, dir_slash)) return false;
  return true;
}

}  // namespace berth::build

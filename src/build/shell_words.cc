#include "build/shell_words.h"

#include "build/go_text.h"

namespace berth::build {
namespace {

constexpr char32_t kEof = static_cast<char32_t>(-1);

// Nesting of ${...} (and the quotes inside) allowed before the lexer gives
// up: Go's growable stacks have no such limit, a thread's stack has.
constexpr int kMaxDepth = 200;

Error error(std::string message) { return Error{Errc::InvalidArgument, 0, std::move(message)}; }

// text/scanner over runes: a leading BOM is skipped, an invalid byte reads
// as U+FFFD.
class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {
    if (s_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
  }
  char32_t peek() const { return pos_ < s_.size() ? gotext::decode_rune(s_, pos_).value : kEof; }
  char32_t next() {
    if (pos_ >= s_.size()) return kEof;
    auto r = gotext::decode_rune(s_, pos_);
    pos_ += r.width;
    return r.value;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// wordsStruct: the words of ProcessWords, built alongside the result.
class Words {
 public:
  // A character of the text itself: white space ends the word.
  void add_char(char32_t ch) {
    if (gotext::is_space(ch) && in_word_) {
      if (!word_.empty()) {
        words_.push_back(std::move(word_));
        word_.clear();
        in_word_ = false;
      }
    } else if (!gotext::is_space(ch)) {
      add_raw_char(ch);
    }
  }
  void add_raw_char(char32_t ch) {
    gotext::append_rune(word_, ch);
    in_word_ = true;
  }
  // A variable's value: its white space splits as the text's does.
  void add_string(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
      auto r = gotext::decode_rune(s, i);
      add_char(r.value);
      i += r.width;
    }
  }
  // Quoted text: one piece of the current word.
  void add_raw_string(std::string_view s) {
    word_ += s;
    in_word_ = true;
  }
  std::vector<std::string> take() {
    if (!word_.empty()) words_.push_back(std::move(word_));
    return std::move(words_);
  }

 private:
  std::string word_;
  std::vector<std::string> words_;
  bool in_word_ = false;
};

class ShellWord {
 public:
  ShellWord(std::string_view source, const EnvLookup& env, char escape)
      : scanner_(source), env_(env), escape_(static_cast<unsigned char>(escape)) {}

  // processStopOn: up to `stop` (consumed) or the end.
  Result<std::string> process_stop_on(char32_t stop, Words* words) {
    std::string result;
    Words local;
    Words& w = words ? *words : local;
    while (scanner_.peek() != kEof) {
      char32_t ch = scanner_.peek();
      if (stop != kEof && ch == stop) {
        scanner_.next();
        return result;
      }
      if (ch == '\'' || ch == '"' || ch == '$') {
        auto piece = ch == '\'' ? process_single_quote() : ch == '"' ? process_double_quote() : process_dollar();
        if (!piece) return std::unexpected(std::move(piece).error());
        result += *piece;
        if (ch == '$') w.add_string(*piece);
        else w.add_raw_string(*piece);
        continue;
      }
      ch = scanner_.next();
      if (ch == escape_) {
        // The escape char takes the next character literally; at the end it is dropped.
        ch = scanner_.next();
        if (ch == kEof) break;
        w.add_raw_char(ch);
      } else {
        w.add_char(ch);
      }
      gotext::append_rune(result, ch);
    }
    if (stop != kEof) {
      std::string s;
      gotext::append_rune(s, stop);
      return std::unexpected(error("unexpected end of statement while looking for matching " + s));
    }
    return result;
  }

 private:
  Result<std::string> process_single_quote() {
    std::string result;
    scanner_.next();
    while (true) {
      char32_t ch = scanner_.next();
      if (ch == kEof) return std::unexpected(error("unexpected end of statement while looking for matching single-quote"));
      if (ch == '\'') return result;
      gotext::append_rune(result, ch);
    }
  }

  Result<std::string> process_double_quote() {
    std::string result;
    scanner_.next();
    while (true) {
      char32_t ch = scanner_.peek();
      if (ch == kEof) return std::unexpected(error("unexpected end of statement while looking for matching double-quote"));
      if (ch == '"') {
        scanner_.next();
        return result;
      }
      if (ch == '$') {
        result += TRY(process_dollar());
        continue;
      }
      ch = scanner_.next();
      if (ch == escape_) {
        char32_t after = scanner_.peek();
        if (after == kEof) continue;  // the missing quote is reported next
        // Only `"`, `$` and the escape char itself can be escaped here.
        if (after == '"' || after == '$' || after == escape_) ch = scanner_.next();
      }
      gotext::append_rune(result, ch);
    }
  }

  Result<std::string> process_dollar() {
    if (++depth_ > kMaxDepth) return std::unexpected(error("syntax error: substitutions nested too deeply"));
    auto r = dollar();
    --depth_;
    return r;
  }

  Result<std::string> dollar() {
    scanner_.next();
    if (scanner_.peek() != '{') {
      std::string name = process_name();
      if (name.empty()) return std::string("$");
      return env_(name).value_or("");
    }
    scanner_.next();
    char32_t first = scanner_.peek();
    if (first == kEof) return std::unexpected(error("syntax error: missing '}'"));
    if (first == '{' || first == '}' || first == ':') return std::unexpected(error("syntax error: bad substitution"));
    std::string name = process_name();
    char32_t ch = scanner_.next();
    if (ch == '}') return env_(name).value_or("");
    if (ch == kEof) return std::unexpected(error("syntax error: missing '}'"));
    std::string modifier;
    gotext::append_rune(modifier, ch);
    const bool null_is_unset = ch == ':';
    if (null_is_unset) {
      ch = scanner_.next();
      if (ch != kEof) gotext::append_rune(modifier, ch);
    }
    const bool supported = ch == '-' || ch == '+' || ch == '?';
    // After ':' the word is read before the modifier is judged (so a missing
    // '}' is what is reported); any other character is refused at once.
    if (!supported && !null_is_unset) {
      return std::unexpected(error("unsupported modifier (" + modifier + ") in substitution"));
    }
    auto word = process_stop_on('}', nullptr);
    if (!word) {
      if (scanner_.peek() == kEof) return std::unexpected(error("syntax error: missing '}'"));
      return std::unexpected(std::move(word).error());
    }
    if (!supported) return std::unexpected(error("unsupported modifier (" + modifier + ") in substitution"));
    auto value = env_(name);
    const bool unset = !value || (null_is_unset && value->empty());
    switch (ch) {
      case '-':
        return unset ? *word : *value;
      case '+':
        return unset ? std::string() : *word;
      default:  // '?'
        if (!unset) return *value;
        std::string message = !word->empty() ? *word
                              : !value       ? "is not allowed to be unset"
                                             : "is not allowed to be empty";
        return std::unexpected(error(name + ": " + message));
    }
  }

  // processName: letters, digits and '_'; a leading digit is a name alone.
  std::string process_name() {
    std::string name;
    while (scanner_.peek() != kEof) {
      char32_t ch = scanner_.peek();
      if (name.empty() && gotext::is_digit(ch)) {
        gotext::append_rune(name, scanner_.next());
        return name;
      }
      if (!gotext::is_letter(ch) && !gotext::is_digit(ch) && ch != '_') break;
      gotext::append_rune(name, scanner_.next());
    }
    return name;
  }

  Scanner scanner_;
  const EnvLookup& env_;
  char32_t escape_;
  int depth_ = 0;
};

template <class T>
Result<T> wrap(std::string_view source, Result<T> r) {
  if (!r) r.error().message = "failed to process " + gotext::quote(source) + ": " + r.error().message;
  return r;
}

}  // namespace

Result<std::string> expand_word(std::string_view word, const EnvLookup& env, char escape) {
  ShellWord sw(word, env, escape);
  return wrap(word, sw.process_stop_on(kEof, nullptr));
}

Result<std::vector<std::string>> expand_words(std::string_view text, const EnvLookup& env, char escape) {
  ShellWord sw(text, env, escape);
  Words words;
  auto r = sw.process_stop_on(kEof, &words);
  if (!r) return wrap<std::vector<std::string>>(text, std::unexpected(std::move(r).error()));
  return words.take();
}

}  // namespace berth::build

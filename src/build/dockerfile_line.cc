// newNodeFromLine and moby's line parsers (frontend/dockerfile/parser
// line_parsers.go, split_command.go): how each keyword's rest of line becomes
// arguments. No expansion here: quotes and $ stay.

#include "build/dockerfile_node.h"
#include "build/go_text.h"
#include "build/json_array.h"

namespace berth::build::detail {
namespace {

using gotext::decode_rune;
using gotext::is_space;

// Go's regexp [\t\v\f\r ] (moby's reWhitespace / tokenWhitespace).
bool is_token_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

// regexp.Split(s, n) with [\t\v\f\r ]+ (n < 0: no limit): a separator at
// either end leaves an empty word there, as in Go.
std::vector<std::string> split_whitespace(std::string_view s, int n) {
  if (s.empty()) return {""};
  std::vector<std::string> out;
  size_t beg = 0, i = 0;
  while (i < s.size()) {
    if (!is_token_space(s[i])) {
      ++i;
      continue;
    }
    if (n > 0 && static_cast<int>(out.size()) == n - 1) break;
    size_t match = i;
    while (i < s.size() && is_token_space(s[i])) ++i;
    out.emplace_back(s.substr(beg, match - beg));
    beg = i;
  }
  out.emplace_back(s.substr(beg));
  return out;
}

// extractBuilderFlags: leading "--name[=value]" words (quotes removed, '\'
// escapes the next byte whatever the escape directive says); a "--" word
// ends them. Returns the rest of the line.
std::string_view extract_builder_flags(std::string_view line, std::vector<std::string>& words) {
  enum { InSpaces, InWord, InQuote } phase = InSpaces;
  std::string word;
  char quote = 0;
  bool blank_ok = false;
  for (size_t pos = 0; pos <= line.size(); ++pos) {
    char ch = pos < line.size() ? line[pos] : 0;
    if (phase == InSpaces) {
      if (pos == line.size()) break;
      if (gotext::is_byte_space(static_cast<unsigned char>(ch))) continue;
      if (ch != '-' || pos + 1 == line.size() || line[pos + 1] != '-') return line.substr(pos);
      phase = InWord;
    }
    if (pos == line.size()) {  // InWord or InQuote at the end
      if (word != "--" && (blank_ok || !word.empty())) words.push_back(word);
      break;
    }
    if (phase == InWord) {
      if (gotext::is_byte_space(static_cast<unsigned char>(ch))) {
        phase = InSpaces;
        if (word == "--") return line.substr(pos);
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = InQuote;
        continue;
      }
      if (ch == '\\') {
        if (pos + 1 == line.size()) continue;
        ch = line[++pos];
      }
      word += ch;
      continue;
    }
    // InQuote
    if (ch == quote) {
      phase = InWord;
      continue;
    }
    if (ch == '\\') {
      if (pos + 1 == line.size()) {
        phase = InWord;
        continue;
      }
      ch = line[++pos];
    }
    word += ch;
  }
  return {};
}

// parseWords: words split on white space, quotes and escapes kept in them
// (for ENV, LABEL and ARG).
std::vector<std::string> parse_words(std::string_view rest, char escape) {
  enum { InSpaces, InWord, InQuote } phase = InSpaces;
  std::vector<std::string> words;
  std::string word;
  char32_t quote = 0, ch = 0;
  bool blank_ok = false;
  size_t width = 0;
  const size_t n = rest.size();
  for (size_t pos = 0; pos <= n; pos += width) {
    if (pos != n) {
      auto r = decode_rune(rest, pos);
      ch = r.value;
      width = r.width;
    }
    if (phase == InSpaces) {
      if (pos == n) break;
      if (is_space(ch)) continue;
      phase = InWord;
    }
    if (pos == n) {
      if (blank_ok || !word.empty()) words.push_back(word);
      break;
    }
    if (phase == InWord) {
      if (is_space(ch)) {
        phase = InSpaces;
        if (blank_ok || !word.empty()) words.push_back(word);
        word.clear();
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = InQuote;
      }
      if (ch == static_cast<unsigned char>(escape)) {
        if (pos + width == n) continue;  // an escape at the end is dropped
        // Outside quotes the escape and the next character both stay.
        gotext::append_rune(word, ch);
        pos += width;
        auto r = decode_rune(rest, pos);
        ch = r.value;
        width = r.width;
      }
      gotext::append_rune(word, ch);
      continue;
    }
    // InQuote
    if (ch == quote) phase = InWord;
    if (ch == static_cast<unsigned char>(escape) && quote != '\'') {
      if (pos + width == n) {
        phase = InWord;
        continue;
      }
      pos += width;
      gotext::append_rune(word, ch);
      auto r = decode_rune(rest, pos);
      ch = r.value;
      width = r.width;
    }
    gotext::append_rune(word, ch);
  }
  return words;
}

// parseNameVal: ENV and LABEL, `k=v ...` or the legacy `k some value`.
Result<void> parse_name_val(Node& node, std::string_view rest, std::string_view key, char escape) {
  auto words = parse_words(rest, escape);
  if (words.empty()) return {};
  if (words[0].find('=') == std::string::npos) {
    auto parts = split_whitespace(rest, 2);
    if (parts.size() < 2) return fail(Errc::InvalidArgument, std::string(key) + " must have two arguments");
    node.args = {parts[0], parts[1]};
    return {};
  }
  for (const auto& word : words) {
    auto eq = word.find('=');
    if (eq == std::string::npos) {
      return fail(Errc::InvalidArgument, "Syntax error - can't find = in " + gotext::quote(word) +
                                             ". Must be of the form: name=value");
    }
    node.args.push_back(word.substr(0, eq));
    node.args.push_back(word.substr(eq + 1));
  }
  return {};
}

void parse_strings_whitespace_delimited(Node& node, std::string_view rest) {
  if (rest.empty()) return;
  node.args = split_whitespace(rest, -1);
}

Result<void> parse_maybe_json(Node& node, std::string_view rest) {
  if (rest.empty()) return {};
  switch (parse_json_string_array(rest, node.args)) {
    case JsonArray::Strings:
      node.json = true;
      return {};
    case JsonArray::NotStrings:
      return fail(Errc::InvalidArgument, "when using JSON array syntax, arrays must be comprised of strings only");
    case JsonArray::NotJson:
      break;
  }
  node.args = {std::string(rest)};
  return {};
}

Result<void> parse_maybe_json_to_list(Node& node, std::string_view rest) {
  switch (parse_json_string_array(rest, node.args)) {
    case JsonArray::Strings:
      node.json = true;
      return {};
    case JsonArray::NotStrings:
      return fail(Errc::InvalidArgument, "when using JSON array syntax, arrays must be comprised of strings only");
    case JsonArray::NotJson:
      break;
  }
  parse_strings_whitespace_delimited(node, rest);
  return {};
}

// parseHealthConfig: the type word, then the command as parseMaybeJSON.
Result<void> parse_health_config(Node& node, std::string_view rest) {
  size_t sep = 0;
  while (sep < rest.size() && !gotext::is_byte_space(static_cast<unsigned char>(rest[sep]))) ++sep;
  size_t next = sep;
  while (next < rest.size() && gotext::is_byte_space(static_cast<unsigned char>(rest[next]))) ++next;
  if (sep == 0) return {};
  Node cmd;
  TRYV(parse_maybe_json(cmd, rest.substr(next)));
  node.args.emplace_back(rest.substr(0, sep));
  for (auto& a : cmd.args) node.args.push_back(std::move(a));
  node.json = cmd.json;
  return {};
}

struct SplitLine {
  std::string cmd;
  std::vector<std::string> flags;
  std::string_view rest;
};

// splitCommand: the keyword, the builder flags and the trimmed rest.
SplitLine split_command(std::string_view line) {
  SplitLine out;
  std::string_view trimmed = gotext::trim_space(line);
  size_t i = 0;
  while (i < trimmed.size() && !is_token_space(trimmed[i])) ++i;
  out.cmd = lower_keyword(trimmed.substr(0, i));
  if (i < trimmed.size()) {
    size_t j = i;
    while (j < trimmed.size() && is_token_space(trimmed[j])) ++j;
    out.rest = gotext::trim_space(extract_builder_flags(trimmed.substr(j), out.flags));
  }
  return out;
}

Result<void> parse_args(Node& node, std::string_view rest, char escape, bool nested);

// parseSubCommand: ONBUILD's trigger is a line of its own.
Result<void> parse_sub_command(Node& node, std::string_view rest, char escape, bool nested) {
  if (rest.empty()) return {};
  if (nested) {
    // ONBUILD ONBUILD ...: the check refuses the chain from the trigger's
    // keyword alone; still find the line parser's errors of the innermost
    // trigger as moby does, without nesting (a long chain would otherwise
    // recurse once per ONBUILD).
    SplitLine s = split_command(rest);
    while (s.cmd == "onbuild" && !s.rest.empty()) s = split_command(s.rest);
    if (s.cmd == "onbuild") return {};
    Node innermost;
    innermost.cmd = std::move(s.cmd);
    return parse_args(innermost, s.rest, escape, true);
  }
  SplitLine s = split_command(rest);
  auto child = std::make_unique<Node>();
  child->cmd = std::move(s.cmd);
  child->original = std::string(rest);
  child->flag_words = std::move(s.flags);
  TRYV(parse_args(*child, s.rest, escape, true));
  node.child = std::move(child);
  return {};
}

// The dispatch table of moby's parser.
Result<void> parse_args(Node& node, std::string_view rest, char escape, bool nested) {
  const std::string& c = node.cmd;
  if (c == "add" || c == "copy" || c == "volume") return parse_maybe_json_to_list(node, rest);
  if (c == "run" || c == "cmd" || c == "entrypoint" || c == "shell") return parse_maybe_json(node, rest);
  if (c == "env") return parse_name_val(node, rest, "ENV", escape);
  if (c == "label") return parse_name_val(node, rest, "LABEL", escape);
  if (c == "arg") {
    node.args = parse_words(rest, escape);
    return {};
  }
  if (c == "expose" || c == "from") {
    parse_strings_whitespace_delimited(node, rest);
    return {};
  }
  if (c == "healthcheck") return parse_health_config(node, rest);
  if (c == "maintainer" || c == "stopsignal" || c == "user" || c == "workdir") {
    if (!rest.empty()) node.args = {std::string(rest)};
    return {};
  }
  if (c == "onbuild") return parse_sub_command(node, rest, escape, nested);
  return {};  // unknown: the check names it
}

}  // namespace

std::string lower_keyword(std::string_view word) {
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    if (word.substr(i, 3) == "\xE2\x84\xAA") {  // U+212A KELVIN SIGN
      out += 'k';
      i += 2;
      continue;
    }
    char ch = word[i];
    out += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  }
  return out;
}

std::string upper_ascii(std::string_view word) {
  std::string out(word);
  for (char& ch : out)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  return out;
}

Result<Node> node_from_line(std::string_view line, char escape) {
  SplitLine s = split_command(line);
  Node node;
  node.cmd = std::move(s.cmd);
  node.original = std::string(line);
  node.flag_words = std::move(s.flags);
  TRYV(parse_args(node, s.rest, escape, false));
  return node;
}

}  // namespace berth::build::detail

// parse_dockerfile: moby's parser.Parse (lines, directives, comments,
// continuations) and then the instructions package's checks, as Docker's
// legacy builder runs them: every line is parsed before any is checked.
#include "build/dockerfile.h"

#include "build/dockerfile_node.h"
#include "build/go_text.h"

namespace berth::build {

Instruction::Instruction(const Instruction& other)
    : keyword(other.keyword),
      original(other.original),
      line(other.line),
      flags(other.flags),
      json(other.json),
      args(other.args),
      child(other.child ? std::make_unique<Instruction>(*other.child) : nullptr) {}

Instruction& Instruction::operator=(const Instruction& other) {
  if (this != &other) *this = Instruction(other);
  return *this;
}

namespace {

using detail::Node;

// bufio.Scanner's limit on one line (MaxScanTokenSize).
constexpr size_t kMaxLine = 64 * 1024;

Error located(int line, Error e) {
  e.code = Errc::InvalidArgument;
  e.message = "dockerfile parse error line " + std::to_string(line) + ": " + e.message;
  return e;
}

// The lines of a text as bufio.ScanLines gives them: split at '\n', one
// trailing '\r' dropped, no empty line after a final '\n'.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  // False at the end, or at a line too long for Docker's scanner (which
  // stops there: too_long() tells).
  bool next(std::string_view& line) {
    if (pos_ >= text_.size() || too_long_) return false;
    size_t nl = text_.find('\n', pos_);
    size_t end = nl == std::string_view::npos ? text_.size() : nl;
    if (end - pos_ >= kMaxLine) {
      too_long_ = true;
      return false;
    }
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    return true;
  }
  bool too_long() const { return too_long_; }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  bool too_long_ = false;
};

struct Directives {
  char escape = '\\';
  bool done = false;
  bool seen_escape = false;
  bool seen_syntax = false;
};

bool go_regexp_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; }

// possibleParserDirective: `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` on a
// line until the first line that is not a known directive.
Result<void> possible_directive(Directives& d, std::string_view line) {
  if (d.done) return {};
  auto not_directive = [&]() -> Result<void> {
    d.done = true;
    return {};
  };
  if (line.empty() || line[0] != '#') return not_directive();
  size_t i = 1;
  while (i < line.size() && go_regexp_space(line[i])) ++i;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t name_begin = i;
  if (i >= line.size() || !alpha(line[i])) return not_directive();
  while (i < line.size() && (alpha(line[i]) || digit(line[i]))) ++i;
  std::string name = detail::lower_keyword(line.substr(name_begin, i - name_begin));
  while (i < line.size() && go_regexp_space(line[i])) ++i;
  if (i >= line.size() || line[i] != '=') return not_directive();
  std::string_view rest = line.substr(i + 1);
  if (rest.empty()) return not_directive();  // (.+?) needs a character
  size_t b = 0, e = rest.size();
  while (b < e && go_regexp_space(rest[b])) ++b;
  while (e > b && go_regexp_space(rest[e - 1])) --e;
  // All white space: the lazy group still takes the last character.
  std::string_view value = b < e ? rest.substr(b, e - b) : rest.substr(rest.size() - 1);
  if (name != "escape" && name != "syntax") return not_directive();
  bool& seen = name == "escape" ? d.seen_escape : d.seen_syntax;
  if (seen) return fail(Errc::InvalidArgument, "only one " + name + " parser directive can be used");
  seen = true;
  if (name == "escape") {
    if (value != "`" && value != "\\") {
      return fail(Errc::InvalidArgument,
                  "invalid escape token '" + std::string(value) + "' does not match ` or \\");
    }
    d.escape = value[0];
  }
  return {};
}

bool is_comment(std::string_view line) {
  auto t = gotext::trim_left_space(line);
  return !t.empty() && t[0] == '#';
}

// processLine: the directive check, then a line starting with '#' emptied.
Result<std::string_view> process_line(Directives& d, std::string_view line, bool strip_left) {
  if (strip_left) line = gotext::trim_left_space(line);
  TRYV(possible_directive(d, line));
  if (!line.empty() && line[0] == '#') return std::string_view();
  return line;
}

// trimContinuationCharacter: `<escape>[ \t]*$` removed; false when found.
bool trim_continuation(std::string_view& line, char escape) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
  if (end == 0 || line[end - 1] != escape) return true;
  line = line.substr(0, end - 1);
  return false;
}

Instruction to_instruction(Node&& node) {
  Instruction in;
  in.keyword = detail::upper_ascii(node.cmd);
  in.original = std::string(gotext::trim_space(node.original));
  in.line = node.line;
  for (auto& word : node.flag_words) {
    std::string_view arg = std::string_view(word).substr(2);
    auto eq = arg.find('=');
    if (eq == std::string_view::npos) in.flags.emplace_back(std::string(arg), std::string());
    else in.flags.emplace_back(std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1)));
  }
  in.json = node.json;
  in.args = std::move(node.args);
  if (in.keyword == "HEALTHCHECK" && !in.args.empty()) in.args[0] = detail::upper_ascii(in.args[0]);
  if (in.keyword == "VOLUME")
    for (auto& v : in.args) v = std::string(gotext::trim_space(v));
  if (node.child) {
    node.child->line = node.line;
    in.child = std::make_unique<Instruction>(to_instruction(std::move(*node.child)));
  }
  return in;
}

}  // namespace

Result<Dockerfile> parse_dockerfile(std::string_view text) {
  if (text.empty()) return fail(Errc::InvalidArgument, "the Dockerfile cannot be empty");
  Directives d;
  Dockerfile out;
  std::vector<Node> nodes;
  Lines lines(text);
  std::string_view raw;
  int current = 0;
  bool any_empty_continuation = false;
  while (lines.next(raw)) {
    if (current == 0 && raw.starts_with("\xEF\xBB\xBF")) raw.remove_prefix(3);
    auto first = process_line(d, raw, true);
    if (!first) return std::unexpected(located(current + 1, std::move(first).error()));
    ++current;
    const int start = current;
    std::string_view part = *first;
    bool end_of_line = trim_continuation(part, d.escape);
    if (end_of_line && part.empty()) continue;
    std::string line(part);
    bool empty_continuation = false;
    while (!end_of_line && lines.next(raw)) {
      auto next = process_line(d, raw, false);
      if (!next) return std::unexpected(located(current + 1, std::move(next).error()));
      ++current;
      if (is_comment(raw)) continue;
      if (gotext::trim_left_space(*next).empty()) {
        empty_continuation = true;
        continue;
      }
      part = *next;
      end_of_line = trim_continuation(part, d.escape);
      line += part;
    }
    if (empty_continuation) {
      out.warnings.push_back("[WARNING]: Empty continuation line found in:\n    " + line);
      any_empty_continuation = true;
    }
    auto node = detail::node_from_line(line, d.escape);
    if (!node) return std::unexpected(located(start, std::move(node).error()));
    node->line = start;
    nodes.push_back(std::move(*node));
  }
  if (any_empty_continuation)
    out.warnings.push_back("[WARNING]: Empty continuation lines will become errors in a future release.");
  if (nodes.empty()) return fail(Errc::InvalidArgument, "file with no instructions");
  if (lines.too_long()) {
    return fail(Errc::InvalidArgument,
                "dockerfile line greater than max allowed size of " + std::to_string(kMaxLine - 1));
  }
  for (const auto& node : nodes)
    if (auto ok = detail::check_node(node); !ok) return std::unexpected(located(node.line, std::move(ok).error()));
  out.escape = d.escape;
  out.instructions.reserve(nodes.size());
  for (auto& node : nodes) out.instructions.push_back(to_instruction(std::move(node)));
  return out;
}

}  // namespace berth::build

#include "cli/template.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "base/defer.h"

namespace berth::cli {

namespace {

// A value that is not there ({{.Missing}}) prints "<no value>", as in Go.
Json missing() { return Json(Json::value_t::discarded); }

struct Pipeline;

struct Arg {
  enum class Kind { Field, Var, Literal, Ident, Sub } kind = Kind::Literal;
  std::string name;               // Var: "$x" or "$"; Ident: function name
  std::vector<std::string> path;  // Field / Var: ".A.B" -> {"A", "B"}
  Json literal;
  std::shared_ptr<Pipeline> sub;  // (pipeline)
};

struct Command {
  std::vector<Arg> args;
};

struct Pipeline {
  std::vector<std::string> decl;  // "$v" or "$k", "$v" before ":="
  std::vector<Command> cmds;
};

}  // namespace

struct TemplateNode {
  enum class Kind { List, Text, Action, If, Range, With } kind = Kind::List;
  std::string text;
  Pipeline pipe;
  std::vector<std::unique_ptr<TemplateNode>> body;
  std::vector<std::unique_ptr<TemplateNode>> else_body;
};

namespace {

// ---- lexing of one action's inside ----

struct Token {
  enum class Kind { Field, Var, String, Number, Ident, Pipe, Declare, Comma, LParen, RParen } kind;
  std::string text;
};

Result<std::vector<Token>> lex_action(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '|') {
      out.push_back({Token::Kind::Pipe, "|"});
      ++i;
    } else if (c == ',') {
      out.push_back({Token::Kind::Comma, ","});
      ++i;
    } else if (c == '(') {
      out.push_back({Token::Kind::LParen, "("});
      ++i;
    } else if (c == ')') {
      out.push_back({Token::Kind::RParen, ")"});
      ++i;
    } else if (s.substr(i, 2) == ":=") {
      out.push_back({Token::Kind::Declare, ":="});
      i += 2;
    } else if (c == '"') {
      std::string v;
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          char e = s[++i];
          v += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        } else {
          v += s[i];
        }
      }
      if (i >= s.size()) return fail(Errc::InvalidArgument, "template: unterminated quoted string");
      ++i;
      out.push_back({Token::Kind::String, v});
    } else if (c == '`') {
      size_t end = s.find('`', i + 1);
      if (end == std::string_view::npos) return fail(Errc::InvalidArgument, "template: unterminated raw string");
      out.push_back({Token::Kind::String, std::string(s.substr(i + 1, end - i - 1))});
      i = end + 1;
    } else if (c == '.' || c == '$') {
      size_t start = i;
      ++i;
      while (i < s.size() && (ident_char(s[i]) || s[i] == '.')) ++i;
      out.push_back({c == '.' ? Token::Kind::Field : Token::Kind::Var, std::string(s.substr(start, i - start))});
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '-' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      size_t start = i++;
      while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
      out.push_back({Token::Kind::Number, std::string(s.substr(start, i - start))});
    } else if (ident_char(c)) {
      size_t start = i;
      while (i < s.size() && ident_char(s[i])) ++i;
      out.push_back({Token::Kind::Ident, std::string(s.substr(start, i - start))});
    } else {
      return fail(Errc::InvalidArgument, fmt::format("template: unexpected '{}' in action \"{}\"", c, s));
    }
  }
  return out;
}

std::vector<std::string> split_path(std::string_view dotted) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < dotted.size()) {
    size_t next = dotted.find('.', i);
    if (next == std::string_view::npos) next = dotted.size();
    if (next > i) parts.emplace_back(dotted.substr(i, next - i));
    i = next + 1;
  }
  return parts;
}

// A number constant as Go's parser takes it: an integer while int64 (then
// uint64) holds it, else a float; one no float holds, or "1.2.3", is an error.
Result<Json> number_literal(const std::string& text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (text.find('.') == std::string::npos) {
    int64_t i;
    if (auto [p, ec] = std::from_chars(begin, end, i); ec == std::errc() && p == end) return Json(i);
    uint64_t u;
    if (auto [p, ec] = std::from_chars(begin, end, u); ec == std::errc() && p == end) return Json(u);
  }
  double d;
  auto [p, ec] = std::from_chars(begin, end, d);
  if (ec != std::errc() || p != end || !std::isfinite(d))
    return fail(Errc::InvalidArgument, fmt::format("template: illegal number syntax: {}", text));
  return Json(d);
}

class PipelineParser {
 public:
  explicit PipelineParser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Result<Pipeline> parse_all() {
    Pipeline p = TRY(parse_pipeline());
    if (pos_ != t_.size()) return fail(Errc::InvalidArgument, fmt::format("template: unexpected \"{}\"", t_[pos_].text));
    return p;
  }

 private:
  Result<Pipeline> parse_pipeline() {
    Pipeline p;
    // Declarations: "$v :=" or "$k, $v :=".
    size_t save = pos_;
    std::vector<std::string> names;
    while (pos_ < t_.size() && t_[pos_].kind == Token::Kind::Var) {
      names.push_back(t_[pos_++].text);
      if (pos_ < t_.size() && t_[pos_].kind == Token::Kind::Comma) {
        ++pos_;
        continue;
      }
      break;
    }
    if (!names.empty() && pos_ < t_.size() && t_[pos_].kind == Token::Kind::Declare) {
      ++pos_;
      p.decl = names;
    } else {
      pos_ = save;
    }
    while (true) {
      Command cmd;
      while (pos_ < t_.size() && t_[pos_].kind != Token::Kind::Pipe && t_[pos_].kind != Token::Kind::RParen) {
        cmd.args.push_back(TRY(parse_arg()));
      }
      if (cmd.args.empty()) return fail(Errc::InvalidArgument, "template: missing value for command");
      p.cmds.push_back(std::move(cmd));
      if (pos_ < t_.size() && t_[pos_].kind == Token::Kind::Pipe) {
        ++pos_;
        continue;
      }
      break;
    }
    return p;
  }

  Result<Arg> parse_arg() {
    const Token& tok = t_[pos_++];
    Arg a;
    switch (tok.kind) {
      case Token::Kind::Field:
        a.kind = Arg::Kind::Field;
        a.path = split_path(tok.text);
        return a;
      case Token::Kind::Var: {
        a.kind = Arg::Kind::Var;
        size_t dot = tok.text.find('.');
        a.name = tok.text.substr(0, dot);
        if (dot != std::string::npos) a.path = split_path(tok.text.substr(dot));
        return a;
      }
      case Token::Kind::String:
        a.literal = tok.text;
        return a;
      case Token::Kind::Number:
        a.literal = TRY(number_literal(tok.text));
        return a;
      case Token::Kind::Ident:
        if (tok.text == "true" || tok.text == "false") {
          a.literal = tok.text == "true";
        } else if (tok.text == "nil") {
          a.literal = nullptr;
        } else {
          a.kind = Arg::Kind::Ident;
          a.name = tok.text;
        }
        return a;
      case Token::Kind::LParen: {
        a.kind = Arg::Kind::Sub;
        if (++depth_ > kTemplateMaxNesting)
          return fail(Errc::InvalidArgument, fmt::format("template: more than {} nested ( )", kTemplateMaxNesting));
        a.sub = std::make_shared<Pipeline>(TRY(parse_pipeline()));
        --depth_;
        if (pos_ >= t_.size() || t_[pos_].kind != Token::Kind::RParen) {
          return fail(Errc::InvalidArgument, "template: unclosed left paren");
        }
        ++pos_;
        return a;
      }
      default:
        return fail(Errc::InvalidArgument, fmt::format("template: unexpected \"{}\"", tok.text));
    }
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  size_t depth_ = 0;  // open parentheses
};

// ---- the template's structure ----

struct Piece {
  bool action = false;
  std::string text;  // text, or the action's inside (trimmed)
};

Result<std::vector<Piece>> split_pieces(std::string_view s) {
  std::vector<Piece> pieces;
  size_t i = 0;
  while (i < s.size()) {
    size_t open = s.find("{{", i);
    std::string text(s.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i));
    if (open == std::string_view::npos) {
      pieces.push_back({false, text});
      break;
    }
    size_t inner = open + 2;
    if (s.substr(inner, 2) == "- " || s.substr(inner, 2) == "-\t" || s.substr(inner, 2) == "-\n") {
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
      inner += 1;
    }
    if (!text.empty()) pieces.push_back({false, text});
    // Find the closing braces outside quoted strings.
    size_t j = inner;
    char quote = 0;
    for (; j + 1 < s.size(); ++j) {
      if (quote) {
        if (s[j] == '\\' && quote == '"') ++j;
        else if (s[j] == quote) quote = 0;
      } else if (s[j] == '"' || s[j] == '`') {
        quote = s[j];
      } else if (s[j] == '}' && s[j + 1] == '}') {
        break;
      }
    }
    if (j + 1 >= s.size()) return fail(Errc::InvalidArgument, "template: unclosed action");
    size_t close = j;
    bool trim_right = close > inner && s[close - 1] == '-' && close - 1 > inner &&
                      std::isspace(static_cast<unsigned char>(s[close - 2]));
    std::string_view body = s.substr(inner, (trim_right ? close - 1 : close) - inner);
    i = close + 2;
    if (trim_right) {
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    }
    std::string_view trimmed = body;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) trimmed.remove_prefix(1);
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) trimmed.remove_suffix(1);
    if (trimmed.starts_with("/*")) continue;  // a comment
    pieces.push_back({true, std::string(trimmed)});
  }
  return pieces;
}

bool keyword(const std::string& action, std::string_view word, std::string* rest = nullptr) {
  if (!action.starts_with(word)) return false;
  if (action.size() > word.size() && !std::isspace(static_cast<unsigned char>(action[word.size()]))) return false;
  if (rest) *rest = action.substr(word.size());
  return true;
}

Result<Pipeline> parse_pipeline_text(std::string_view text) {
  auto tokens = TRY(lex_action(text));
  return PipelineParser(std::move(tokens)).parse_all();
}

class TreeParser {
 public:
  explicit TreeParser(std::vector<Piece> pieces) : p_(std::move(pieces)) {}

  // Parses until {{end}} / {{else}} (returned in *stop) or the end.
  Result<std::vector<std::unique_ptr<TemplateNode>>> parse_list(std::string* stop) {
    std::vector<std::unique_ptr<TemplateNode>> list;
    while (pos_ < p_.size()) {
      const Piece& piece = p_[pos_++];
      auto node = std::make_unique<TemplateNode>();
      if (!piece.action) {
        node->kind = TemplateNode::Kind::Text;
        node->text = piece.text;
        list.push_back(std::move(node));
        continue;
      }
      std::string rest;
      if (keyword(piece.text, "end") || keyword(piece.text, "else")) {
        if (!stop) return fail(Errc::InvalidArgument, fmt::format("template: unexpected {{{{{}}}}}", piece.text));
        *stop = piece.text;
        return list;
      }
      if (keyword(piece.text, "if", &rest) || keyword(piece.text, "with", &rest) ||
          keyword(piece.text, "range", &rest)) {
        node->kind = piece.text.starts_with("if")     ? TemplateNode::Kind::If
                     : piece.text.starts_with("with") ? TemplateNode::Kind::With
                                                      : TemplateNode::Kind::Range;
        TRYV(parse_control(*node, rest));
      } else {
        node->kind = TemplateNode::Kind::Action;
        node->pipe = TRY(parse_pipeline_text(piece.text));
      }
      list.push_back(std::move(node));
    }
    if (stop) return fail(Errc::InvalidArgument, "template: unexpected EOF (missing {{end}})");
    return list;
  }

 private:
  Result<void> parse_control(TemplateNode& node, const std::string& pipeline_text) {
    // Each block (and each "else if") is a level of recursion here and when it runs.
    if (++depth_ > kTemplateMaxNesting)
      return fail(Errc::InvalidArgument, fmt::format("template: more than {} nested blocks", kTemplateMaxNesting));
    Defer leave([&] { --depth_; });
    node.pipe = TRY(parse_pipeline_text(pipeline_text));
    std::string stop;
    node.body = TRY(parse_list(&stop));
    if (stop == "end") return {};
    // {{else}} or {{else if ...}}: the latter is an If nested in the else branch.
    std::string rest;
    keyword(stop, "else", &rest);
    std::string_view r = rest;
    while (!r.empty() && std::isspace(static_cast<unsigned char>(r.front()))) r.remove_prefix(1);
    if (r.starts_with("if ") || r.starts_with("with ")) {
      auto nested = std::make_unique<TemplateNode>();
      nested->kind = r.starts_with("if") ? TemplateNode::Kind::If : TemplateNode::Kind::With;
      TRYV(parse_control(*nested, std::string(r.substr(r.find(' ')))));
      node.else_body.push_back(std::move(nested));
      return {};
    }
    node.else_body = TRY(parse_list(&stop));
    if (stop != "end") return fail(Errc::InvalidArgument, "template: expected {{end}}");
    return {};
  }

  std::vector<Piece> p_;
  size_t pos_ = 0;
  size_t depth_ = 0;  // open blocks
};

// ---- evaluation ----

bool truthy(const Json& v) {
  if (v.is_discarded() || v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  return !v.empty();
}

std::string as_string(const Json& v) { return v.is_string() ? v.get<std::string>() : go_print(v); }

std::optional<double> as_number(const Json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

// truncate's and pad's counts: a float is cut toward zero and clamped into
// int64 (converting one beyond it was undefined); a non-number counts 0.
int64_t count_arg(const Json& v) {
  if (v.is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), INT64_MAX));
  if (v.is_number_integer()) return v.get<int64_t>();
  if (!v.is_number_float() || std::isnan(v.get<double>())) return 0;
  double d = v.get<double>();
  return d >= 0x1p63 ? INT64_MAX : d <= -0x1p63 ? INT64_MIN : static_cast<int64_t>(d);
}

std::string title_case(std::string s) {
  bool start = true;
  for (char& c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      start = false;
    } else {
      start = true;
    }
  }
  return s;
}

// Go's fmt verbs that scripts use: %s %v %d %q %%, with an optional width.
std::string go_sprintf(const std::string& format, const std::vector<Json>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size() && out.size() <= kTemplateMaxOutput; ++i) {  // the caller refuses more
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool left = false;
    if (j < format.size() && format[j] == '-') left = true, ++j;
    int width = 0;
    for (; j < format.size() && std::isdigit(static_cast<unsigned char>(format[j])); ++j) {
      // Go's fmt gives up on a width beyond 1e6 and drops the rest of the format.
      if (width > 1'000'000) return out + "%!(NOVERB)";
      width = width * 10 + (format[j] - '0');
    }
    if (j >= format.size()) break;
    char verb = format[j];
    i = j;
    std::string piece;
    if (next >= args.size()) {
      piece = fmt::format("%!{}(MISSING)", verb);
    } else {
      const Json& a = args[next++];
      piece = verb == 'q' ? fmt::format("\"{}\"", as_string(a)) : as_string(a);
    }
    if (static_cast<int>(piece.size()) < width) {
      std::string pad(width - piece.size(), ' ');
      piece = left ? piece + pad : pad + piece;
    }
    out += piece;
  }
  return out;
}

std::unexpected<Error> too_long(const std::string& function) {
  return fail(Errc::InvalidArgument,
              fmt::format("template: {}: result longer than {} bytes", function, kTemplateMaxOutput));
}

class Executor {
 public:
  Executor(const Json& root, bool header_mode) : header_(header_mode) { vars_.push_back({"$", root}); }

  Result<void> run(const std::vector<std::unique_ptr<TemplateNode>>& list, const Json& dot, std::string& out) {
    for (const auto& node : list) {
      TRYV(step());
      TRYV(run_node(*node, dot, out));
      if (out.size() > kTemplateMaxOutput)
        return fail(Errc::InvalidArgument, fmt::format("template: output longer than {} bytes", kTemplateMaxOutput));
    }
    return {};
  }

 private:
  // What functions build counts too: strings against the output bound (they
  // may be printed; doubling one through variables would otherwise grow
  // without end), the parts of an array (split) as steps.
  Result<Json> account(Json v) {
    if (v.is_string()) built_ += v.get_ref<const std::string&>().size();
    if (built_ > kTemplateMaxOutput)
      return fail(Errc::InvalidArgument, fmt::format("template: functions built more than {} bytes", kTemplateMaxOutput));
    if (v.is_array()) TRYV(step(v.size()));
    return v;
  }

  // A unit of work (a node run, a range iteration, a function call): a
  // {{range 1000000000000}} or nested ranges end here instead of running for days.
  Result<void> step(uint64_t n = 1) {
    if ((steps_ += n) > kTemplateMaxSteps)
      return fail(Errc::InvalidArgument, fmt::format("template: execution stopped after {} steps", kTemplateMaxSteps));
    return {};
  }

  Result<void> run_node(const TemplateNode& n, const Json& dot, std::string& out) {
    switch (n.kind) {
      case TemplateNode::Kind::Text:
        out += n.text;
        return {};
      case TemplateNode::Kind::List:
        return run(n.body, dot, out);
      case TemplateNode::Kind::Action: {
        Json v = TRY(eval_pipeline(n.pipe, dot));
        if (n.pipe.decl.empty()) out += go_print(v);
        return {};
      }
      case TemplateNode::Kind::If:
      case TemplateNode::Kind::With: {
        size_t depth = vars_.size();
        Json v = TRY(eval_pipeline(n.pipe, dot));
        Result<void> r;
        if (truthy(v)) {
          r = run(n.body, n.kind == TemplateNode::Kind::With ? v : dot, out);
        } else {
          r = run(n.else_body, dot, out);
        }
        vars_.resize(depth);
        return r;
      }
      case TemplateNode::Kind::Range:
        return run_range(n, dot, out);
    }
    return {};
  }

  Result<void> run_range(const TemplateNode& n, const Json& dot, std::string& out) {
    size_t depth = vars_.size();
    Pipeline pipe = n.pipe;
    std::vector<std::string> decl = std::move(pipe.decl);
    pipe.decl.clear();
    Json v = TRY(eval_pipeline(pipe, dot));
    auto iteration = [&](const Json& key, const Json& elem) -> Result<void> {
      TRYV(step());
      vars_.resize(depth);
      if (decl.size() == 1) vars_.push_back({decl[0], elem});
      if (decl.size() == 2) {
        vars_.push_back({decl[0], key});
        vars_.push_back({decl[1], elem});
      }
      return run(n.body, elem, out);
    };
    bool any = false;
    if (v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i, any = true) TRYV(iteration(Json(i), v[i]));
    } else if (v.is_object()) {
      std::vector<std::string> keys;
      for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
      std::sort(keys.begin(), keys.end());  // Go ranges over maps in key order
      for (const auto& k : keys) {
        any = true;
        TRYV(iteration(Json(k), v[k]));
      }
    } else if (v.is_number_integer()) {
      for (int64_t i = 0; i < v.get<int64_t>(); ++i, any = true) TRYV(iteration(Json(i), Json(i)));
    } else if (!v.is_null() && !v.is_discarded()) {
      return fail(Errc::InvalidArgument, fmt::format("template: range can't iterate over {}", go_print(v)));
    }
    vars_.resize(depth);
    if (!any) TRYV(run(n.else_body, dot, out));
    vars_.resize(depth);
    return {};
  }

  Result<Json> eval_pipeline(const Pipeline& p, const Json& dot) {
    std::optional<Json> value;
    for (const auto& cmd : p.cmds) value = TRY(eval_command(cmd, dot, value));
    Json v = value ? *value : missing();
    if (!p.decl.empty()) vars_.push_back({p.decl.back(), v});
    return v;
  }

  // Copies only the value found, not the document on the way ({{$.A.B}} in a loop).
  static Json walk(const Json& v, const std::vector<std::string>& path) {
    const Json* at = &v;
    for (const auto& name : path) {
      if (!at->is_object()) return missing();
      auto it = at->find(name);
      if (it == at->end()) return missing();
      at = &*it;
    }
    return *at;
  }

  Result<Json> eval_arg(const Arg& a, const Json& dot) {
    switch (a.kind) {
      case Arg::Kind::Literal:
        return a.literal;
      case Arg::Kind::Field:
        return walk(dot, a.path);
      case Arg::Kind::Var:
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
          if (it->first == a.name) return walk(it->second, a.path);
        }
        return fail(Errc::InvalidArgument, fmt::format("template: undefined variable \"{}\"", a.name));
      case Arg::Kind::Sub:
        return eval_pipeline(*a.sub, dot);
      case Arg::Kind::Ident:
        return call(a.name, {});
    }
    return missing();
  }

  Result<Json> eval_command(const Command& cmd, const Json& dot, const std::optional<Json>& piped) {
    const Arg& first = cmd.args[0];
    if (first.kind != Arg::Kind::Ident) {
      if (cmd.args.size() > 1 || piped) {
        return fail(Errc::InvalidArgument, "template: can't give argument to non-function");
      }
      return eval_arg(first, dot);
    }
    std::vector<Json> args;
    for (size_t i = 1; i < cmd.args.size(); ++i) args.push_back(TRY(eval_arg(cmd.args[i], dot)));
    if (piped) args.push_back(*piped);
    TRYV(step());
    return account(TRY(call(first.name, args)));
  }

  Result<Json> call(const std::string& name, const std::vector<Json>& a) {
    auto need = [&](size_t n) -> Result<void> {
      if (a.size() != n) {
        return fail(Errc::InvalidArgument,
                    fmt::format("template: wrong number of args for {}: want {} got {}", name, n, a.size()));
      }
      return {};
    };
    static const char* const kHeaderFuncs[] = {"json", "split", "join", "title", "lower", "upper", "truncate", "pad"};
    if (header_ && std::find(std::begin(kHeaderFuncs), std::end(kHeaderFuncs), name) != std::end(kHeaderFuncs)) {
      if (a.empty()) return Json("");
      return a[0];
    }
    if (name == "json") {
      TRYV(need(1));
      return Json(go_json(a[0]));
    }
    if (name == "join") {
      TRYV(need(2));
      std::string out;
      if (a[0].is_array()) {
        for (size_t i = 0; i < a[0].size(); ++i) {
          out += (i ? as_string(a[1]) : "") + as_string(a[0][i]);
          if (out.size() > kTemplateMaxOutput) return too_long(name);
        }
      } else {
        out = as_string(a[0]);
      }
      return Json(out);
    }
    if (name == "split") {
      TRYV(need(2));
      std::string s = as_string(a[0]), sep = as_string(a[1]);
      Json out = Json::array();
      if (sep.empty()) {
        if (s.size() > kTemplateMaxSteps) return too_long(name);  // each part is a step to use
        for (char c : s) out.push_back(std::string(1, c));
        return out;
      }
      size_t i = 0;
      while (true) {
        size_t next = s.find(sep, i);
        out.push_back(s.substr(i, next == std::string::npos ? std::string::npos : next - i));
        if (out.size() > kTemplateMaxSteps) return too_long(name);
        if (next == std::string::npos) break;
        i = next + sep.size();
      }
      return out;
    }
    if (name == "lower" || name == "upper") {
      TRYV(need(1));
      std::string s = as_string(a[0]);
      for (char& c : s) {
        c = static_cast<char>(name == "lower" ? std::tolower(static_cast<unsigned char>(c))
                                              : std::toupper(static_cast<unsigned char>(c)));
      }
      return Json(s);
    }
    if (name == "title") {
      TRYV(need(1));
      return Json(title_case(as_string(a[0])));
    }
    if (name == "truncate") {
      TRYV(need(2));
      std::string s = as_string(a[0]);
      int64_t n = count_arg(a[1]);
      if (n >= 0 && static_cast<size_t>(n) < s.size()) s.resize(static_cast<size_t>(n));
      return Json(s);
    }
    if (name == "pad") {
      TRYV(need(3));
      std::string s = as_string(a[0]);
      int64_t before = count_arg(a[1]), after = count_arg(a[2]);
      if (before > int64_t{kTemplateMaxOutput} || after > int64_t{kTemplateMaxOutput} ||
          s.size() + std::max<int64_t>(before, 0) + std::max<int64_t>(after, 0) > kTemplateMaxOutput)
        return too_long(name);
      return Json(std::string(std::max<int64_t>(before, 0), ' ') + s + std::string(std::max<int64_t>(after, 0), ' '));
    }
    if (name == "index") {
      if (a.empty()) return fail(Errc::InvalidArgument, "template: index of nothing");
      Json v = a[0];
      for (size_t i = 1; i < a.size(); ++i) {
        if (v.is_object() && a[i].is_string()) {
          auto it = v.find(a[i].get<std::string>());
          v = it == v.end() ? Json(nullptr) : *it;  // a missing map key indexes to the zero value
        } else if (v.is_array() && a[i].is_number_integer()) {
          int64_t k = a[i].get<int64_t>();
          if (k < 0 || static_cast<size_t>(k) >= v.size()) {
            return fail(Errc::InvalidArgument, fmt::format("template: index out of range: {}", k));
          }
          v = v[static_cast<size_t>(k)];
        } else if (v.is_null() || v.is_discarded()) {
          return fail(Errc::InvalidArgument, "template: index of untyped nil");
        } else {
          return fail(Errc::InvalidArgument, fmt::format("template: can't index item of type {}", v.type_name()));
        }
      }
      return v;
    }
    if (name == "len") {
      TRYV(need(1));
      if (a[0].is_string()) return Json(a[0].get_ref<const std::string&>().size());
      if (a[0].is_array() || a[0].is_object()) return Json(a[0].size());
      return fail(Errc::InvalidArgument, "template: len of untyped value");
    }
    if (name == "printf") {
      if (a.empty()) return fail(Errc::InvalidArgument, "template: printf needs a format");
      std::string out = go_sprintf(as_string(a[0]), std::vector<Json>(a.begin() + 1, a.end()));
      if (out.size() > kTemplateMaxOutput) return too_long(name);
      return Json(out);
    }
    if (name == "print" || name == "println") {
      std::string out;
      for (size_t i = 0; i < a.size(); ++i) {
        // print adds spaces between operands when neither is a string; println always.
        if (i && (name == "println" || (!a[i - 1].is_string() && !a[i].is_string()))) out += ' ';
        out += as_string(a[i]);
        if (out.size() > kTemplateMaxOutput) return too_long(name);
      }
      if (name == "println") out += '\n';
      return Json(out);
    }
    if (name == "not") {
      TRYV(need(1));
      return Json(!truthy(a[0]));
    }
    if (name == "and" || name == "or") {
      if (a.empty()) return fail(Errc::InvalidArgument, fmt::format("template: {} needs arguments", name));
      for (const auto& v : a) {
        if (truthy(v) == (name == "or")) return v;
      }
      return a.back();
    }
    if (name == "eq" || name == "ne") {
      if (a.size() < 2) return fail(Errc::InvalidArgument, fmt::format("template: {} needs two arguments", name));
      bool equal = false;
      for (size_t i = 1; i < a.size(); ++i) equal = equal || a[0] == a[i];
      return Json(name == "eq" ? equal : !equal);
    }
    if (name == "lt" || name == "le" || name == "gt" || name == "ge") {
      TRYV(need(2));
      int cmp;
      if (auto x = as_number(a[0]), y = as_number(a[1]); x && y) {
        cmp = *x < *y ? -1 : *x > *y ? 1 : 0;
      } else if (a[0].is_string() && a[1].is_string()) {
        cmp = a[0].get<std::string>().compare(a[1].get<std::string>());
      } else {
        return fail(Errc::InvalidArgument, fmt::format("template: incompatible types for comparison in {}", name));
      }
      bool r = name == "lt" ? cmp < 0 : name == "le" ? cmp <= 0 : name == "gt" ? cmp > 0 : cmp >= 0;
      return Json(r);
    }
    return fail(Errc::InvalidArgument, fmt::format("template: function \"{}\" not defined", name));
  }

  bool header_;
  uint64_t steps_ = 0;
  size_t built_ = 0;  // bytes of the strings functions returned
  std::vector<std::pair<std::string, Json>> vars_;
};

}  // namespace

Template::Template() = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::parse(std::string_view text) {
  auto pieces = TRY(split_pieces(text));
  TreeParser parser(std::move(pieces));
  Template t;
  t.root_ = std::make_unique<TemplateNode>();
  t.root_->body = TRY(parser.parse_list(nullptr));
  return t;
}

Result<std::string> Template::execute(const Json& data, bool header_mode) const {
  std::string out;
  Executor ex(data, header_mode);
  TRYV(ex.run(root_->body, data, out));
  return out;
}

std::string go_print(const Json& v) {
  if (v.is_discarded()) return "<no value>";
  if (v.is_null()) return "<nil>";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  if (v.is_number_float()) {
    double d = v.get<double>();
    // Whole numbers print without a fraction or exponent (beyond int64 too: no cast).
    if (std::floor(d) == d && std::fabs(d) < 1e21) return fmt::format("{:.0f}", d == 0 ? 0.0 : d);
    return fmt::format("{}", d);
  }
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + go_print(v[i]);
    return out + "]";
  }
  std::vector<std::string> keys;
  for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  std::string out = "map[";
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? " " : "") + keys[i] + ":" + go_print(v[keys[i]]);
  return out + "]";
}

std::string go_json(const Json& v) {
  if (v.is_discarded()) return "null";
  std::string raw = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    // Only strings can hold these characters in JSON text, so this is exact.
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

}  // namespace berth::cli

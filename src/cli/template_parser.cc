// The template's structure: pipelines from an action's tokens, and the tree
// of text, actions and {{if}}/{{with}}/{{range}} ... {{else}} ... {{end}}.
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "base/defer.h"
#include "cli/template_tree.h"

namespace berth::cli {

namespace tmpl {

namespace {

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
    Pipeline p = TRY(parse_one());
    if (pos_ != t_.size()) return fail(Errc::InvalidArgument, fmt::format("template: unexpected \"{}\"", t_[pos_].text));
    return p;
  }

 private:
  Result<Pipeline> parse_one() {
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
        // Each ( ) is a level of recursion here and when it runs.
        if (++depth_ > kTemplateMaxNesting)
          return fail(Errc::InvalidArgument, fmt::format("template: more than {} nested ( )", kTemplateMaxNesting));
        a.sub = std::make_shared<Pipeline>(TRY(parse_one()));
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

bool keyword(const std::string& action, std::string_view word, std::string* rest = nullptr) {
  if (!action.starts_with(word)) return false;
  if (action.size() > word.size() && !std::isspace(static_cast<unsigned char>(action[word.size()]))) return false;
  if (rest) *rest = action.substr(word.size());
  return true;
}

}  // namespace

Result<Pipeline> parse_pipeline(std::string_view action) {
  auto tokens = TRY(lex_action(action));
  return PipelineParser(std::move(tokens)).parse_all();
}

}  // namespace tmpl

namespace {

using tmpl::keyword;
using tmpl::Piece;

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
        node->pipe = TRY(tmpl::parse_pipeline(piece.text));
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
    node.pipe = TRY(tmpl::parse_pipeline(pipeline_text));
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

}  // namespace

Result<Template> Template::parse(std::string_view text) {
  auto pieces = TRY(tmpl::split_pieces(text));
  TreeParser parser(std::move(pieces));
  Template t;
  t.root_ = std::make_unique<TemplateNode>();
  t.root_->body = TRY(parser.parse_list(nullptr));
  return t;
}

}  // namespace berth::cli

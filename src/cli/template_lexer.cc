// The template's lexing: where actions start and end in the text, and the
// tokens inside one action.
#include <cctype>

#include <fmt/format.h>

#include "cli/template_tree.h"

namespace berth::cli::tmpl {

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

}  // namespace berth::cli::tmpl

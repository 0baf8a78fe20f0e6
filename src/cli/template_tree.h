// Internal to the template engine (template.h is its interface): the parsed
// tree the lexer, parser and executor share, and the seams between them.
//   template_lexer.cc     text -> pieces (text / action), an action -> tokens
//   template_parser.cc    pieces and tokens -> TemplateNode tree (Template::parse)
//   template_executor.cc  tree + JSON -> text (Template::execute), Go's printing
//   template_functions.cc the functions an action calls (json, index, printf, eq, ...)
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "cli/template.h"

namespace berth::cli::tmpl {

// ---- lexer ----

// The template split at its {{actions}}: text kept as is, an action's inside
// trimmed ("{{- x -}}" also trims the text around it); comments dropped.
struct Piece {
  bool action = false;
  std::string text;
};
Result<std::vector<Piece>> split_pieces(std::string_view text);

struct Token {
  enum class Kind { Field, Var, String, Number, Ident, Pipe, Declare, Comma, LParen, RParen } kind;
  std::string text;  // a String's value unquoted; else the token as written
};
Result<std::vector<Token>> lex_action(std::string_view action);

// ---- tree ----

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

// ---- parser ----

// One action's pipeline: "$v := .A | printf \"%s\"".
Result<Pipeline> parse_pipeline(std::string_view action);

// ---- executor and functions ----

// A value that is not there ({{.Missing}}) prints "<no value>", as in Go.
inline Json missing() { return Json(Json::value_t::discarded); }

// A value while a template runs: a part of the data, a literal of the tree or
// a function's result, shared and never copied (a {{range}} that prints $ or
// passes it to a function would otherwise copy the whole document each time).
using Value = std::shared_ptr<const Json>;
inline Value owned(Json v) { return std::make_shared<const Json>(std::move(v)); }
// Points at `v`, which outlives the execution (the data, the tree's literals).
inline Value borrowed(const Json& v) { return Value(Value(), &v); }
// Points at `part` inside `whole` and keeps `whole` alive.
inline Value part_of(const Value& whole, const Json& part) { return Value(whole, &part); }
Value missing_value();

// Go's truth: false, 0, "", nil, empty array/map and missing are false.
bool truthy(const Json& v);
// Strings raw, anything else as Go's %v.
std::string as_string(const Json& v);
// Go's %v of `v` appended to `out` (go_print without the temporaries).
void go_print_to(std::string& out, const Json& v);
// Go's fmt verbs that scripts use: %s %v %d %q %%, with an optional width
// (up to 1e6, as Go). Stops once the result passes kTemplateMaxOutput.
std::string go_sprintf(const std::string& format, const std::vector<Value>& args);
// Calls function `name` with `args` (a piped value comes last). header_mode:
// docker's header functions return their first argument untouched. A result
// past kTemplateMaxOutput bytes (split: kTemplateMaxSteps parts) is an error.
// index, and, or return (a part of) an argument, not a copy.
Result<Value> call_function(const std::string& name, const std::vector<Value>& args, bool header_mode);

}  // namespace berth::cli::tmpl

namespace berth::cli {

// The parsed template: a list of nodes (template.h holds it by pointer).
struct TemplateNode {
  enum class Kind { List, Text, Action, If, Range, With } kind = Kind::List;
  std::string text;
  tmpl::Pipeline pipe;
  std::vector<std::unique_ptr<TemplateNode>> body;
  std::vector<std::unique_ptr<TemplateNode>> else_body;
};

}  // namespace berth::cli

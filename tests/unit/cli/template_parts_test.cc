// The template engine's parts, each on its own: the lexer's pieces and
// tokens, the parser's pipelines, the functions and Go's printing helpers.
#include <gtest/gtest.h>

#include "cli/template_tree.h"

namespace berth::cli::tmpl {
namespace {

std::vector<Value> values(std::vector<Json> args) {
  std::vector<Value> out;
  for (auto& a : args) out.push_back(owned(std::move(a)));
  return out;
}

std::string kinds(const std::vector<Token>& tokens) {
  std::string out;
  for (const auto& t : tokens) {
    switch (t.kind) {
      case Token::Kind::Field: out += "F"; break;
      case Token::Kind::Var: out += "V"; break;
      case Token::Kind::String: out += "S"; break;
      case Token::Kind::Number: out += "N"; break;
      case Token::Kind::Ident: out += "I"; break;
      case Token::Kind::Pipe: out += "|"; break;
      case Token::Kind::Declare: out += "="; break;
      case Token::Kind::Comma: out += ","; break;
      case Token::Kind::LParen: out += "("; break;
      case Token::Kind::RParen: out += ")"; break;
    }
  }
  return out;
}

TEST(TemplateLexer, PiecesSplitAtActionsAndTrim) {
  auto p = split_pieces("a {{.X}} b  {{- .Y -}}  c{{/* note */}}");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 5u);
  EXPECT_FALSE((*p)[0].action);
  EXPECT_EQ((*p)[0].text, "a ");
  EXPECT_TRUE((*p)[1].action);
  EXPECT_EQ((*p)[1].text, ".X");
  EXPECT_EQ((*p)[2].text, " b");  // "{{-" trims the text before it
  EXPECT_EQ((*p)[3].text, ".Y");
  EXPECT_EQ((*p)[4].text, "c");  // "-}}" trims after; the comment is dropped
}

TEST(TemplateLexer, ClosingBracesInsideStringsDoNotEndTheAction) {
  auto p = split_pieces(R"({{printf "}}" .A}}!)");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].text, R"(printf "}}" .A)");
  EXPECT_EQ((*p)[1].text, "!");
  EXPECT_FALSE(split_pieces("{{.A"));
}

TEST(TemplateLexer, Tokens) {
  auto t = lex_action(R"($v := index .A.B "k\n" | printf `%s` -2 1.5 ($x, $))");
  ASSERT_TRUE(t);
  EXPECT_EQ(kinds(*t), "V=IFS|ISNN(V,V)");
  EXPECT_EQ((*t)[3].text, ".A.B");
  EXPECT_EQ((*t)[4].text, "k\n");  // escapes resolved
  EXPECT_EQ((*t)[7].text, "%s");   // raw string
  EXPECT_EQ((*t)[8].text, "-2");
  EXPECT_FALSE(lex_action(R"(.A "open)"));
  EXPECT_FALSE(lex_action(".A ; .B"));
}

TEST(TemplateParser, Pipelines) {
  auto p = parse_pipeline(R"($k, $v := .Labels)");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->decl, (std::vector<std::string>{"$k", "$v"}));
  ASSERT_EQ(p->cmds.size(), 1u);
  EXPECT_EQ(p->cmds[0].args[0].kind, Arg::Kind::Field);
  EXPECT_EQ(p->cmds[0].args[0].path, (std::vector<std::string>{"Labels"}));

  p = parse_pipeline(R"(.Name | printf "%s" | len)");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cmds.size(), 3u);
  EXPECT_EQ(p->cmds[1].args[0].name, "printf");
  EXPECT_EQ(p->cmds[1].args[1].literal, "%s");

  p = parse_pipeline("eq (len .A) 2 true nil $x.Y");
  ASSERT_TRUE(p);
  const auto& args = p->cmds[0].args;
  ASSERT_EQ(args.size(), 6u);
  EXPECT_EQ(args[1].kind, Arg::Kind::Sub);
  EXPECT_EQ(args[2].literal, 2);
  EXPECT_EQ(args[3].literal, true);
  EXPECT_TRUE(args[4].literal.is_null());
  EXPECT_EQ(args[5].name, "$x");
  EXPECT_EQ(args[5].path, (std::vector<std::string>{"Y"}));

  EXPECT_FALSE(parse_pipeline("(.A"));
  EXPECT_FALSE(parse_pipeline(".A |"));
}

TEST(TemplateFunctions, DockerAndGoBuiltins) {
  auto call = [](const std::string& name, std::vector<Json> args) {
    auto r = call_function(name, values(std::move(args)), false);
    return r ? **r : Json("error: " + r.error().message);
  };
  EXPECT_EQ(call("json", {Json{{"a", "<"}}}), R"({"a":"\u003c"})");
  EXPECT_EQ(call("join", {Json::array({"a", "b"}), ","}), "a,b");
  EXPECT_EQ(call("split", {"a:b", ":"}), Json::array({"a", "b"}));
  EXPECT_EQ(call("title", {"hello wide world"}), "Hello Wide World");
  EXPECT_EQ(call("truncate", {"abcdef", 3}), "abc");
  EXPECT_EQ(call("pad", {"x", 1, 2}), " x  ");
  EXPECT_EQ(call("index", {Json{{"k", Json{10, 20}}}, "k", 1}), 20);
  EXPECT_EQ(call("index", {Json{{"k", 1}}, "nope"}), Json(nullptr));
  EXPECT_EQ(call("len", {Json{1, 2, 3}}), 3);
  EXPECT_EQ(call("print", {1, 2, "a", "b"}), "1 2ab");
  EXPECT_EQ(call("println", {"a", 1}), "a 1\n");
  EXPECT_EQ(call("and", {1, 0, 2}), 0);
  EXPECT_EQ(call("or", {0, "", "x"}), "x");
  EXPECT_EQ(call("eq", {2, 1, 2}), true);
  EXPECT_EQ(call("lt", {"a", "b"}), true);
  EXPECT_EQ(call("ge", {1, 2.5}), false);
  EXPECT_EQ(call("nosuch", {}), "error: template: function \"nosuch\" not defined");
  EXPECT_EQ(call("json", {}), "error: template: wrong number of args for json: want 1 got 0");
  // Header mode: docker's header functions hand back their first argument.
  EXPECT_EQ(**call_function("json", values({Json("CONTAINER ID")}), true), "CONTAINER ID");
  EXPECT_EQ(**call_function("len", values({Json("abc")}), true), 3);  // Go's builtins still run
}

// A {{range}} over index/and/or of $ would copy the document each round otherwise.
TEST(TemplateFunctions, IndexAndOrReturnPartsOfTheirArgumentsNotCopies) {
  Value doc = owned(Json{{"k", Json{10, 20}}});
  auto part = call_function("index", {doc, owned(Json("k"))}, false);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->get(), &(*doc)["k"]);
  auto either = call_function("or", {owned(Json(0)), doc}, false);
  ASSERT_TRUE(either);
  EXPECT_EQ(either->get(), doc.get());
  auto both = call_function("and", {doc, doc}, false);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->get(), doc.get());
}

TEST(TemplateFunctions, GoSprintfAndTruth) {
  EXPECT_EQ(go_sprintf("%s=%d%%", values({Json("a"), Json(5)})), "a=5%");
  EXPECT_EQ(go_sprintf("[%5s][%-3v]", values({Json("ab"), Json(1)})), "[   ab][1  ]");
  EXPECT_EQ(go_sprintf("%q %s", values({Json("x")})), "\"x\" %!s(MISSING)");
  for (const Json& v : {Json(false), Json(0), Json(0.0), Json(""), Json::array(), Json::object(), Json(nullptr), missing()}) {
    EXPECT_FALSE(truthy(v)) << v.dump();
  }
  for (const Json& v : {Json(true), Json(-1), Json("0"), Json::array({1})}) EXPECT_TRUE(truthy(v)) << v.dump();
  EXPECT_EQ(as_string(Json("s")), "s");
  EXPECT_EQ(as_string(Json::array({1, "a"})), "[1 a]");
}

}  // namespace
}  // namespace berth::cli::tmpl

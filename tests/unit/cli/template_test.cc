#include "cli/template.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cli/table.h"

namespace berth::cli {
namespace {

std::string run(const std::string& t, const Json& data) {
  auto tmpl = Template::parse(t);
  EXPECT_TRUE(tmpl) << (tmpl ? "" : tmpl.error().message);
  if (!tmpl) return "<parse error>";
  auto out = tmpl->execute(data);
  EXPECT_TRUE(out) << (out ? "" : out.error().message);
  return out ? *out : "<exec error>";
}

const Json kInspect = Json::parse(R"({
  "Id": "abc", "Name": "/web", "Args": ["-c", "echo hi"],
  "State": {"Status": "exited", "ExitCode": 3, "Running": false},
  "Config": {"Image": "busybox", "Labels": {"k": "v", "a": "<b>"}, "Env": ["A=1", "B=2"]},
  "Mounts": []
})");

TEST(Template, FieldsAndNesting) {
  EXPECT_EQ(run("{{.State.Status}} {{.State.ExitCode}}", kInspect), "exited 3");
  EXPECT_EQ(run("{{.Config.Image}}", kInspect), "busybox");
  EXPECT_EQ(run("{{.Missing}}", kInspect), "<no value>");
  EXPECT_EQ(run("{{.Config.Env}}", kInspect), "[A=1 B=2]");
  EXPECT_EQ(run("{{.Config.Labels}}", kInspect), "map[a:<b> k:v]");
}

TEST(Template, Functions) {
  EXPECT_EQ(run(R"({{index .Config.Labels "k"}})", kInspect), "v");
  EXPECT_EQ(run(R"({{join .Args " "}})", kInspect), "-c echo hi");
  EXPECT_EQ(run("{{json .Config.Labels}}", kInspect), R"({"k":"v","a":"\u003cb\u003e"})");
  EXPECT_EQ(run("{{json .Mounts}}", kInspect), "[]");
  EXPECT_EQ(run("{{upper .State.Status}} {{len .Args}}", kInspect), "EXITED 2");
  EXPECT_EQ(run(R"({{printf "%s=%d" .Name .State.ExitCode}})", kInspect), "/web=3");
  EXPECT_EQ(run("{{.Name | json}}", kInspect), "\"/web\"");
  EXPECT_EQ(run(R"({{split "a,b" ","}})", kInspect), "[a b]");
}

TEST(Template, ControlFlow) {
  EXPECT_EQ(run("{{range .Config.Env}}[{{.}}]{{end}}", kInspect), "[A=1][B=2]");
  EXPECT_EQ(run("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", kInspect), "a=<b>;k=v;");
  EXPECT_EQ(run("{{if .State.Running}}up{{else}}down{{end}}", kInspect), "down");
  EXPECT_EQ(run("{{if eq .State.ExitCode 3}}three{{else if eq .State.ExitCode 0}}zero{{end}}", kInspect), "three");
  EXPECT_EQ(run("{{with .Config}}{{.Image}}{{end}}", kInspect), "busybox");
  EXPECT_EQ(run("{{range .Mounts}}x{{else}}none{{end}}", kInspect), "none");
  EXPECT_EQ(run("a  {{- .State.Status -}}  b", kInspect), "aexitedb");
  EXPECT_EQ(run("{{$x := .Name}}{{$x}}{{/* comment */}}", kInspect), "/web");
  EXPECT_EQ(run("{{$.Id}}{{range .Args}}{{$.Id}}{{end}}", kInspect), "abcabcabc");
}

TEST(Template, Errors) {
  EXPECT_FALSE(Template::parse("{{.A"));
  EXPECT_FALSE(Template::parse("{{if .A}}x"));
  auto t = Template::parse("{{nosuch .A}}");
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->execute(kInspect));
}

TEST(Table, TabwriterAlignsLikeGo) {
  // minwidth 10, padding 3: "CONTAINER ID" (12) -> 15 wide; short cells -> 10.
  EXPECT_EQ(tabwrite("CONTAINER ID\tNAMES\nabc\tx\n"), "CONTAINER ID   NAMES\nabc            x\n");
  EXPECT_EQ(tabwrite("A\tB\tC\nlonger-cell\tb\tc\n"), "A             B         C\nlonger-cell   b         c\n");
}

TEST(Table, RenderListTableAndPlain) {
  Json header{{"ID", "CONTAINER ID"}, {"Names", "NAMES"}};
  std::vector<Json> rows{Json{{"ID", "0123456789ab"}, {"Names", "web"}}};
  EXPECT_EQ(*render_list("", "table {{.ID}}\t{{.Names}}", header, rows), "CONTAINER ID   NAMES\n0123456789ab   web\n");
  EXPECT_EQ(*render_list("table {{.Names}}\\t{{json .ID}}", "", header, rows), "NAMES     CONTAINER ID\nweb       \"0123456789ab\"\n");
  EXPECT_EQ(*render_list("{{.Names}}", "", header, rows), "web\n");
  EXPECT_EQ(*render_list("json", "", header, rows), "{\"ID\":\"0123456789ab\",\"Names\":\"web\"}\n");
  EXPECT_EQ(*render_list("", "table {{.ID}}\t{{.Names}}", header, {}), "CONTAINER ID   NAMES\n");
}

TEST(Table, IndentJsonLikeGo) {
  EXPECT_EQ(indent_json(R"([{"a":1,"b":[],"c":{},"d":["x","y"],"e":"<\u003c>"}])"),
            "[\n    {\n        \"a\": 1,\n        \"b\": [],\n        \"c\": {},\n        \"d\": [\n            \"x\",\n"
            "            \"y\"\n        ],\n        \"e\": \"<\\u003c>\"\n    }\n]");
}

// Found by fuzzing (tests/fuzz/cli_template.cc): a number literal that does
// not fit int64 threw std::out_of_range out of Template::parse.
TEST(TemplateLimits, NumberLiteralsOutOfRange) {
  EXPECT_EQ(run("{{9223372036854775807}}", kInspect), "9223372036854775807");
  EXPECT_EQ(run("{{18446744073709551615}}", kInspect), "18446744073709551615");  // uint64, as Go
  EXPECT_EQ(run("{{if gt 444444444444444444444 18446744073709551615}}float{{end}}", kInspect), "float");
  EXPECT_EQ(run("{{-1.5}}", kInspect), "-1.5");
  EXPECT_FALSE(Template::parse("{{1" + std::string(400, '0') + ".5}}"));  // beyond double
  EXPECT_FALSE(Template::parse("{{1.2.3}}"));
}

// Found by fuzzing: printing a whole float beyond int64 cast it to int64 (UB).
TEST(TemplateLimits, WholeFloatsBeyondInt64Print) {
  EXPECT_EQ(run("{{100000000000000000000.0}}", kInspect), "100000000000000000000");
  EXPECT_EQ(run("{{9223372036854775808.0}}", kInspect), "9223372036854775808");
  EXPECT_EQ(run("{{-3.0}} {{0.0}} {{2.5}}", kInspect), "-3 0 2.5");
  EXPECT_EQ(go_print(Json(-0.0)), "0");
  EXPECT_EQ(go_print(Json(1e21)), "1e+21");
}

// Found by fuzzing: a printf width of 10 digits overflowed int (UB) and a
// large one allocated its padding. Go's fmt stops at widths beyond 1e6.
TEST(TemplateLimits, PrintfWidthIsBounded) {
  EXPECT_EQ(run(R"({{printf "%5s|%-3d|" "x" 7}})", kInspect), "    x|7  |");
  EXPECT_EQ(run(R"({{printf "a%99999999999999s|" "x"}})", kInspect), "a%!(NOVERB)");
  EXPECT_EQ(run(R"({{printf "%1000001s" "x"}})", kInspect).size(), 1000001u);
}

// Found by fuzzing: deep nesting overflowed the stack (parse and execute recurse).
TEST(TemplateLimits, NestingIsBounded) {
  auto nested = [](size_t n, const std::string& open, const std::string& inner, const std::string& close) {
    std::string t;
    for (size_t i = 0; i < n; ++i) t += open;
    t += inner;
    for (size_t i = 0; i < n; ++i) t += close;
    return t;
  };
  EXPECT_EQ(run(nested(kTemplateMaxNesting, "{{if 1}}", "deep", "{{end}}"), kInspect), "deep");
  EXPECT_EQ(run("{{len " + nested(kTemplateMaxNesting, "(", "\"ab\"", ")") + "}}", kInspect), "2");
  EXPECT_FALSE(Template::parse(nested(kTemplateMaxNesting + 1, "{{if 1}}", "x", "{{end}}")));
  EXPECT_FALSE(Template::parse(nested(100000, "{{range .}}", "x", "{{end}}")));
  EXPECT_FALSE(Template::parse("{{len " + nested(100000, "(", "\"ab\"", ")") + "}}"));
  std::string chain = "{{if 0}}";
  for (size_t i = 0; i < 100000; ++i) chain += "{{else if 0}}";
  EXPECT_FALSE(Template::parse(chain + "{{end}}"));
}

// Found by fuzzing: {{range 8888888888888883}} ran for days; nested ranges multiply.
TEST(TemplateLimits, WorkAndOutputAreBounded) {
  auto stopped = [](const std::string& text) {
    auto t = Template::parse(text);
    EXPECT_TRUE(t) << text;
    if (!t) return false;
    auto out = t->execute(kInspect);
    return !out && out.error().code == Errc::InvalidArgument;
  };
  EXPECT_TRUE(stopped("{{range 8888888888888883}}{{end}}"));
  EXPECT_TRUE(stopped("{{range 100000}}{{range 100000}}{{.}}{{end}}{{end}}"));
  EXPECT_TRUE(stopped("{{range 20}}{{printf \"%1000000s\" \"x\"}}{{end}}"));  // 20 MB of output, 60 steps
  EXPECT_EQ(run("{{range 100000}}{{end}}{{range 3}}{{.}}{{end}}", kInspect), "012");
  EXPECT_EQ(run("{{range 1000}}{{.}}{{end}}", kInspect).size(), 2890u);
}

TEST(TemplateLimits, ACallerMayChooseLowerBounds) {
  auto t = Template::parse("{{range 5}}{{.}}{{end}}");
  ASSERT_TRUE(t);
  EXPECT_EQ(*t->execute(kInspect, false, {.steps = 11}), "01234");  // 5 iterations, 5 nodes, the range
  auto steps = t->execute(kInspect, false, {.steps = 10});
  ASSERT_FALSE(steps);
  EXPECT_EQ(steps.error().message, "template: execution stopped after 10 steps");
  auto output = t->execute(kInspect, false, {.output = 4});
  ASSERT_FALSE(output);
  EXPECT_EQ(output.error().message, "template: output longer than 4 bytes");
}

// Found by fuzzing (a CI timeout): each round of {{range 63332}}{{$}}{{end}}
// copied the whole document twice before printing it (46 s under ASan). This
// checks that what the rounds print meets the output bound; that values are
// shared, not copied, is TemplateFunctions.IndexAndOrReturnPartsOfTheirArguments...
// and the fuzz target's -timeout.
TEST(TemplateLimits, PrintingTheDocumentInALoopIsBounded) {
  auto t = Template::parse("{{range 200000}}{{$}}{{index $ \"Config\"}}{{end}}");
  ASSERT_TRUE(t);
  auto out = t->execute(kInspect);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message, fmt::format("template: output longer than {} bytes", kTemplateMaxOutput));
}

// Found by fuzzing: a float count beyond int64 was converted to int64 (UB).
TEST(TemplateLimits, CountsOfTruncateAndPad) {
  EXPECT_EQ(run("{{truncate .Id 922654607377095516170}}", kInspect), "abc");
  EXPECT_EQ(run("{{truncate .Id 18446744073709551615}}", kInspect), "abc");
  EXPECT_EQ(run("{{truncate .Id -922654607377095516170.0}}|{{truncate .Id 2.9}}", kInspect), "abc|ab");
  EXPECT_EQ(run("{{pad .Id 1.5 -1.0}}|{{pad .Id .Missing 1}}", kInspect), " abc|abc ");
}

// Shown with the cli_template fuzz target: {{pad "" 100000000000 0}} allocated
// 100 GB (ASan: out of memory), and a string
// doubled through variables grows exponentially with the template's length.
TEST(TemplateLimits, StringsFunctionsBuildAreBounded) {
  auto refused = [](const std::string& text) {
    auto t = Template::parse(text);
    EXPECT_TRUE(t) << text;
    return t && !t->execute(kInspect);
  };
  EXPECT_TRUE(refused(R"({{pad "" 100000000000 0}})"));
  EXPECT_TRUE(refused(R"({{pad "x" 0 18446744073709551615}})"));
  std::string grow = R"({{$v0 := printf "%1000s" "x"}})";
  for (int i = 1; i <= 20; ++i)  // 1 KB doubled 20 times would be 1 GB
    grow += fmt::format(R"({{{{$v{} := printf "%s%s" $v{} $v{}}}}})", i, i - 1, i - 1);
  EXPECT_TRUE(refused(grow));
  EXPECT_TRUE(refused(R"({{$a := pad "" 0 9000000}}{{$b := print $a $a}})"));
  EXPECT_TRUE(refused(R"({{$a := pad "" 0 9000000}}{{join (split "a,b,c" ",") $a}})"));
  EXPECT_TRUE(refused(R"({{$a := pad "" 0 2000000}}{{len (split $a "")}})"));  // 2M parts
  EXPECT_EQ(run(R"({{pad "x" 2 1}}|{{len (split (pad "" 0 1000) "")}}|{{print 1 2 "a"}})", kInspect), "  x |1000|1 2a");
}

}  // namespace
}  // namespace berth::cli

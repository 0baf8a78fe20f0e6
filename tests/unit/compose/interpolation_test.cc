#include <gtest/gtest.h>

#include "compose/dotenv.h"
#include "compose/interpolation.h"

namespace berth::compose {
namespace {

std::optional<std::string> env(const std::string& k) {
  if (k == "SET") return "value";
  if (k == "EMPTY") return "";
  if (k == "lower_case") return "low";
  return std::nullopt;
}

std::string ok(std::string_view text) {
  auto r = interpolate(text, env);
  EXPECT_TRUE(r) << text << ": " << r.error().message;
  return r ? *r : "";
}

std::string err(std::string_view text) {
  auto r = interpolate(text, env);
  EXPECT_FALSE(r) << text;
  return r ? "" : r.error().message;
}

TEST(Interpolation, EveryForm) {
  EXPECT_EQ(ok("$SET"), "value");
  EXPECT_EQ(ok("${SET}"), "value");
  EXPECT_EQ(ok("a${SET}b$SET.c"), "avalueb" "value.c");
  EXPECT_EQ(ok("$lower_case"), "low");
  EXPECT_EQ(ok("${UNSET:-def}"), "def");
  EXPECT_EQ(ok("${EMPTY:-def}"), "def");
  EXPECT_EQ(ok("${EMPTY-def}"), "");
  EXPECT_EQ(ok("${UNSET-def}"), "def");
  EXPECT_EQ(ok("${SET:-def}"), "value");
  EXPECT_EQ(ok("${SET:+alt}"), "alt");
  EXPECT_EQ(ok("${EMPTY:+alt}"), "");
  EXPECT_EQ(ok("${EMPTY+alt}"), "alt");
  EXPECT_EQ(ok("${UNSET+alt}"), "");
  EXPECT_EQ(ok("${SET:?boom}"), "value");
  EXPECT_EQ(ok("${EMPTY?boom}"), "");
  EXPECT_EQ(ok("$$SET"), "$SET");
  EXPECT_EQ(ok("$${SET}"), "${SET}");
  EXPECT_EQ(ok("${UNSET:-${SET}}"), "value");
  EXPECT_EQ(ok("${UNSET:-${ALSO_UNSET:-deep}}"), "deep");
  EXPECT_EQ(ok("${UNSET:-a}-${UNSET:-b}"), "a-b");
  EXPECT_EQ(ok("no variables"), "no variables");
}

TEST(Interpolation, UnsetIsBlankAndReported) {
  std::vector<std::string> unset;
  EXPECT_EQ(*interpolate("x${NOPE}y$NOPE", env, &unset), "xy");
  EXPECT_EQ(unset, std::vector<std::string>{"NOPE"});
}

TEST(Interpolation, Errors) {
  EXPECT_EQ(err("${UNSET:?set it}"), "required variable UNSET is missing a value: set it");
  EXPECT_EQ(err("${EMPTY:?set it}"), "required variable EMPTY is missing a value: set it");
  EXPECT_EQ(err("${UNSET?}"), "required variable UNSET is missing a value");
  EXPECT_EQ(err("${UNSET:?${SET} needed}"), "required variable UNSET is missing a value: value needed");
  EXPECT_EQ(err("$"), "Invalid template: \"$\"");
  EXPECT_EQ(err("${"), "Invalid template: \"${\"");
  EXPECT_EQ(err("${}"), "Invalid template: \"${}\"");
  EXPECT_EQ(err("${SET"), "Invalid template: \"${SET\"");
  EXPECT_EQ(err("${SET:}"), "Invalid template: \"${SET:}\"");
  EXPECT_EQ(err("${SET/x}"), "Invalid template: \"${SET/x}\"");
  EXPECT_EQ(err("${1X}"), "Invalid template: \"${1X}\"");
  EXPECT_EQ(err("cost $5"), "Invalid template: \"cost $5\"");
}

TEST(Interpolation, DeepNestingIsRefused) {
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "${U:-";
  deep += "x";
  for (int i = 0; i < 200; ++i) deep += "}";
  EXPECT_FALSE(interpolate(deep, env));
}

TEST(Dotenv, Syntax) {
  auto r = parse_dotenv(
      "# comment\n"
      "A=1\n"
      "export B = two # inline comment\n"
      "C='single $SET # kept'\n"
      "D=\"double ${SET}\\n\\\"q\\\"\"\n"
      "E=${A}-${SET}\n"
      "F: yaml style\n"
      "SET\n"
      "G=\"multi\nline\"\n"
      "H=\n"
      "I=a#b\n",
      "f.env", env);
  ASSERT_TRUE(r) << r.error().message;
  EnvEntries want = {{"A", "1"},
                     {"B", "two"},
                     {"C", "single $SET # kept"},
                     {"D", "double value\n\"q\""},
                     {"E", "1-value"},
                     {"F", "yaml style"},
                     {"SET", "value"},
                     {"G", "multi\nline"},
                     {"H", ""},
                     {"I", "a#b"}};
  EXPECT_EQ(*r, want);
}

TEST(Dotenv, Errors) {
  auto bad_key = parse_dotenv("A=1\nB%C=2\n", "f.env", env);
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().message, "failed to read f.env: line 2: unexpected character \"%\" in variable name \"B%C\"");
  auto unterminated = parse_dotenv("A=\"open\n", "f.env", env);
  ASSERT_FALSE(unterminated);
  EXPECT_EQ(unterminated.error().message, "failed to read f.env: line 1: unterminated quoted value \"");
  auto required = parse_dotenv("A=${NOPE:?needed}\n", "f.env", env);
  ASSERT_FALSE(required);
  EXPECT_EQ(required.error().message, "failed to read f.env: line 1: required variable NOPE is missing a value: needed");
}

}  // namespace
}  // namespace berth::compose

// Malformed JSON described in Go's encoding/json words (what dockerd answers).
#include <gtest/gtest.h>

#include "base/json_syntax.h"

namespace berth {
namespace {

std::string message(std::string_view text) {
  auto e = json_syntax_error(text);
  return e ? e->message : "";
}

TEST(JsonSyntax, WellFormedValues) {
  for (const char* ok : {"{}", " [1, 2.5e-3, -0, \"a\\u00e9\\n\", true, false, null] ", "{\"a\":{\"b\":[]}}", "3", "\"x\""})
    EXPECT_FALSE(json_syntax_error(ok)) << ok;
}

TEST(JsonSyntax, GosMessages) {
  EXPECT_EQ(message("{x"), "invalid character 'x' looking for beginning of object key string");
  EXPECT_EQ(message("{\"a\" 1}"), "invalid character '1' after object key");
  EXPECT_EQ(message("{\"a\":1 \"b\"}"), "invalid character '\"' after object key:value pair");
  EXPECT_EQ(message("[1 2]"), "invalid character '2' after array element");
  EXPECT_EQ(message("tru"), "unexpected end of JSON input");
  EXPECT_EQ(message("trux"), "invalid character 'x' in literal true (expecting 'e')");
  EXPECT_EQ(message("nul"), "unexpected end of JSON input");
  EXPECT_EQ(message("{\"a\":}"), "invalid character '}' looking for beginning of value");
  EXPECT_EQ(message("\"\t\""), "invalid character '\\t' in string literal");
  EXPECT_EQ(message("\"\\x\""), "invalid character 'x' in string escape code");
  EXPECT_EQ(message("\"\\u12g4\""), "invalid character 'g' in \\u hexadecimal character escape");
  EXPECT_EQ(message("-x"), "invalid character 'x' in numeric literal");
  EXPECT_EQ(message("1.x"), "invalid character 'x' after decimal point in numeric literal");
  EXPECT_EQ(message("1ex"), "invalid character 'x' in exponent of numeric literal");
  EXPECT_EQ(message("{} {}"), "invalid character '{' after top-level value");
  EXPECT_EQ(message(""), "unexpected end of JSON input");
  EXPECT_EQ(message("'a'"), "invalid character '\\'' looking for beginning of value");
  EXPECT_EQ(message("\x01"), "invalid character '\\x01' looking for beginning of value");
}

TEST(JsonSyntax, OffsetIsBytesRead) {
  auto e = json_syntax_error("{\"a\": x}");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->offset, 7u);
  e = json_syntax_error("[1,");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->offset, 3u);
}

TEST(JsonSyntax, DeepNestingDoesNotRecurse) {
  std::string deep(200000, '[');
  EXPECT_EQ(message(deep), "unexpected end of JSON input");
}

}  // namespace
}  // namespace berth

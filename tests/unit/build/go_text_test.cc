// The Go standard library behaviours the Dockerfile language relies on,
// against Go's own test tables (strconv.Quote, path/filepath.Clean).
#include <gtest/gtest.h>

#include "build/go_text.h"

using namespace berth::build::gotext;

TEST(GoText, DecodeRune) {
  EXPECT_EQ(decode_rune("a", 0).value, U'a');
  auto e = decode_rune("\xC3\xA9", 0);
  EXPECT_EQ(e.value, U'\u00e9');
  EXPECT_EQ(e.width, 2u);
  EXPECT_EQ(decode_rune("\xF0\x9F\x98\x80", 0).width, 4u);
  for (std::string_view bad : {"\xff", "\xC3", "\xC0\x80", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    auto r = decode_rune(bad, 0);
    EXPECT_EQ(r.value, kRuneError) << bad;
    EXPECT_EQ(r.width, 1u) << bad;
  }
}

TEST(GoText, Spaces) {
  EXPECT_EQ(trim_space(" \t\v\f\r\n a b \xC2\xA0\xE3\x80\x80\xC2\x85"), "a b");
  EXPECT_EQ(trim_space("\xE2\x80\x8B" "a"), "\xE2\x80\x8B" "a");  // ZERO WIDTH SPACE is not white space to Go
  EXPECT_EQ(trim_space("a\xA0"), "a\xA0");                        // a lone byte is not NBSP
  EXPECT_EQ(trim_space("   "), "");
  EXPECT_EQ(trim_left_space("\xE2\x80\x80x "), "x ");
  EXPECT_TRUE(is_byte_space(0x85));
  EXPECT_TRUE(is_byte_space(0xA0));
  EXPECT_FALSE(is_byte_space(0xC2));
}

TEST(GoText, Classes) {
  EXPECT_TRUE(is_letter(U'\uD55C'));   // 한
  EXPECT_TRUE(is_letter(U'\u00E9'));
  EXPECT_FALSE(is_letter(U'\u2014'));  // em dash
  EXPECT_FALSE(is_letter(U'_'));
  EXPECT_TRUE(is_digit(U'\u0663'));    // ARABIC-INDIC DIGIT THREE
  EXPECT_FALSE(is_digit(U'\u00B2'));   // superscript two is No, not Nd
}

TEST(GoText, Quote) {
  struct Case {
    std::string_view in, out;
  } cases[] = {
      {"", "\"\""},
      {"hello", "\"hello\""},
      {"a\"b\\c", "\"a\\\"b\\\\c\""},
      {std::string_view("\x00\x7f\a\b\f\n\r\t\v", 9), "\"\\x00\\x7f\\a\\b\\f\\n\\r\\t\\v\""},
      {"\xff", "\"\\xff\""},
      {"\xC3\xA9t\xC3\xA9", "\"\xC3\xA9t\xC3\xA9\""},
      {"\xC2\xA0", "\"\\u00a0\""},
      {"\xE2\x80\x8B", "\"\\u200b\""},
      {"\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\""},
      {"\xF3\xA0\x80\x81", "\"\\U000e0001\""},
  };
  for (const auto& c : cases) EXPECT_EQ(quote(c.in), c.out) << c.in;
}

TEST(GoText, CleanPath) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"", "."}, {"abc", "abc"}, {"abc/def", "abc/def"}, {".", "."}, {"..", ".."}, {"../..", "../.."},
      {"../../abc", "../../abc"}, {"/abc", "/abc"}, {"/", "/"}, {"abc/", "abc"}, {"abc/def/", "abc/def"},
      {"./", "."}, {"../", ".."}, {"../../", "../.."}, {"/abc/", "/abc"}, {"abc//def//ghi", "abc/def/ghi"},
      {"//abc", "/abc"}, {"///abc", "/abc"}, {"//abc//", "/abc"}, {"abc//", "abc"}, {"abc/./def", "abc/def"},
      {"/./abc/def", "/abc/def"}, {"abc/.", "abc"}, {"abc/def/ghi/../jkl", "abc/def/jkl"},
      {"abc/def/../ghi/../jkl", "abc/jkl"}, {"abc/def/..", "abc"}, {"abc/def/../..", "."},
      {"/abc/def/../..", "/"}, {"abc/def/../../..", ".."}, {"/abc/def/../../..", "/"},
      {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"}, {"abc/./../def", "def"},
      {"abc//./../def", "def"}, {"abc/../../././../def", "../../def"}, {"!a/..", "."}, {"!/", "!"},
  };
  for (const auto& c : cases) EXPECT_EQ(clean_path(c.in), c.out) << c.in;
}

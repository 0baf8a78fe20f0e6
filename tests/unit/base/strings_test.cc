#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "base/strings.h"

using namespace berth;
using V = std::vector<std::string>;

TEST(Split, KeepsEmptyFieldsByDefault) {
  EXPECT_EQ(split("a,b,c", ','), (V{"a", "b", "c"}));
  EXPECT_EQ(split("a,,b", ','), (V{"a", "", "b"}));
  EXPECT_EQ(split(",a,", ','), (V{"", "a", ""}));
  EXPECT_EQ(split("", ','), (V{""}));
  EXPECT_EQ(split("abc", ','), (V{"abc"}));
}

TEST(Split, SkipEmpty) {
  EXPECT_EQ(split("/sys//fs/cgroup/", '/', true), (V{"sys", "fs", "cgroup"}));
  EXPECT_EQ(split("", '/', true), V{});
  EXPECT_EQ(split("///", '/', true), V{});
}

TEST(Join, Basics) {
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(join({"a"}, ","), "a");
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({"", ""}, "/"), "/");
}

TEST(Join, InvertsSplit) {
  for (std::string s : {"a:b:c", "::", "x", "", "a::b:"}) EXPECT_EQ(join(split(s, ':'), ":"), s);
}

TEST(Trim, StripsWhitespaceBothEnds) {
  EXPECT_EQ(trim("  hello \n"), "hello");
  EXPECT_EQ(trim("\t\r\nx y\t"), "x y");
  EXPECT_EQ(trim("none"), "none");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\r\n "), "");
}

TEST(ParseInt, AcceptsWholeNumbersOnly) {
  EXPECT_EQ(parse_int("0"), 0);
  EXPECT_EQ(parse_int("42"), 42);
  EXPECT_EQ(parse_int("-17"), -17);
  EXPECT_EQ(parse_int("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parse_int("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_FALSE(parse_int(""));
  EXPECT_FALSE(parse_int("12a"));
  EXPECT_FALSE(parse_int("a12"));
  EXPECT_FALSE(parse_int(" 12"));
  EXPECT_FALSE(parse_int("12 "));
  EXPECT_FALSE(parse_int("1.5"));
  EXPECT_FALSE(parse_int("-"));
  EXPECT_FALSE(parse_int("9223372036854775808"));  // overflow
}

TEST(ParseUint, RejectsNegativeAndOverflow) {
  EXPECT_EQ(parse_uint("0"), 0u);
  EXPECT_EQ(parse_uint("18446744073709551615"), std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(parse_uint("18446744073709551616"));
  EXPECT_FALSE(parse_uint("-1"));
  EXPECT_FALSE(parse_uint(""));
  EXPECT_FALSE(parse_uint("max"));
  EXPECT_FALSE(parse_uint("10\n"));
}

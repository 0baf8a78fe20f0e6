// Go standard-library behaviours the flag parsers reproduce.
#include "cli/go_compat.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using V = std::vector<std::string>;

TEST(GoCsv, FieldsAndQuotes) {
  EXPECT_EQ(*csv_fields("a,b,,c"), (V{"a", "b", "", "c"}));
  EXPECT_EQ(*csv_fields(R"(type=bind,"src=/a,b",dst=/x)"), (V{"type=bind", "src=/a,b", "dst=/x"}));
  EXPECT_EQ(*csv_fields(R"("say ""hi""")"), (V{"say \"hi\""}));
  EXPECT_EQ(*csv_fields(""), (V{""}));
  EXPECT_FALSE(csv_fields(R"(a"b)"));     // bare quote
  EXPECT_FALSE(csv_fields(R"("open,x)"));  // missing quote
  EXPECT_FALSE(csv_fields(R"("a"b)"));     // text after the closing quote
}

TEST(GoFilepath, AbsCleans) {
  EXPECT_EQ(absolute_path("./data", "/home/u"), "/home/u/data");
  EXPECT_EQ(absolute_path("../x/./y/", "/home/u"), "/home/x/y");
  EXPECT_EQ(absolute_path("/a//b/../c", "/ignored"), "/a/c");
  EXPECT_EQ(absolute_path("../../..", "/a"), "/");
}

TEST(GoStrconv, ParseBoolAndLower) {
  for (const char* t : {"1", "t", "T", "TRUE", "true", "True"}) EXPECT_EQ(go_parse_bool(t), true) << t;
  for (const char* f : {"0", "f", "F", "FALSE", "false", "False"}) EXPECT_EQ(go_parse_bool(f), false) << f;
  for (const char* bad : {"yes", "tRUE", "", "2"}) EXPECT_FALSE(go_parse_bool(bad)) << bad;
  EXPECT_EQ(to_lower("Type=BIND,Src=/A"), "type=bind,src=/a");
  EXPECT_EQ(to_lower("\xC3\x84-9_Z"), "\xC3\x84-9_z");  // non-ASCII bytes kept
}

TEST(GoJson, StringMapSortedAndCompact) {
  EXPECT_EQ(string_map({"b=2", "a=1", "c", "b=3"}).dump(), R"({"a":"1","b":"3","c":""})");
  EXPECT_EQ(*compact_json("{ \"a\" : [1, 2],\n \"s\": \"x y\" }"), R"({"a":[1,2],"s":"x y"})");
  EXPECT_EQ(*compact_json(R"({"q": "a \" b"})"), R"({"q":"a \" b"})");
  EXPECT_FALSE(compact_json("{"));
}

}  // namespace
}  // namespace berth::cli

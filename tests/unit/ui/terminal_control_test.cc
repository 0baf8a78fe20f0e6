#include "ui/terminal_control.h"

#include <gtest/gtest.h>

namespace berth::ui {
namespace {

TEST(TerminalControl, ResizeMessages) {
  auto s = parse_control(R"({"resize":[120,40]})");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, std::make_pair(120u, 40u));
  EXPECT_TRUE(parse_control(R"({"resize":[1,1000]})"));
}

TEST(TerminalControl, AnythingElseIsIgnored) {
  for (const char* bad : {"", "not json", "[]", R"({"resize":[0,5]})", R"({"resize":[5,1001]})",
                          R"({"resize":[-1,5]})", R"({"resize":[80]})", R"({"resize":[80,24,1]})",
                          R"({"resize":["80","24"]})", R"({"resize":[80.5,24]})", R"({"resize":[4294967376,24]})",
                          R"({"size":[80,24]})"})
    EXPECT_FALSE(parse_control(bad)) << bad;
}

}  // namespace
}  // namespace berth::ui

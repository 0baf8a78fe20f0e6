// sys::parse_subids (/etc/subuid's format) and sys::uid_map_is_nested.
#include "sys/subid.h"

#include <gtest/gtest.h>

#include "sys/userns.h"

namespace berth::sys {
namespace {

TEST(Subid, FindsTheUsersRangesByNameOrId) {
  const char* text =
      "# comment\n"
      "alice:100000:65536\n"
      "\n"
      "bob:165536:65536\n"
      "1001:300000:1000\n"
      "alice:400000:10\r\n";
  auto r = parse_subids(text, "alice", 1001);
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0], (SubidRange{100000, 65536}));
  EXPECT_EQ((*r)[1], (SubidRange{300000, 1000}));  // by numeric id
  EXPECT_EQ((*r)[2], (SubidRange{400000, 10}));
  auto none = parse_subids(text, "carol", 1002);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(Subid, RefusesMalformedLinesNamingThem) {
  for (const char* bad : {"alice:1\n", "alice:x:5\n", "alice:1:2:3\n", ":1:2\n", "alice:1:0\n",
                          "alice:4294967295:2\n", "alice:1:-1\n"}) {
    auto r = parse_subids(std::string("ok:1:1\n") + bad, "alice", 5);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  }
}

TEST(Subid, MissingFileIsNoRanges) {
  auto r = read_subids("/nonexistent/subuid", "alice", 1);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
}

TEST(UserNamespace, TheHostsMapIsNotNested) {
  EXPECT_FALSE(uid_map_is_nested("         0          0 4294967295\n"));
  EXPECT_TRUE(uid_map_is_nested("         0       1000          1\n         1     100000      65536\n"));
  EXPECT_TRUE(uid_map_is_nested("0 1000 1\n"));
  EXPECT_FALSE(uid_map_is_nested(""));
}

}  // namespace
}  // namespace berth::sys

#include "idmap/subid.h"

#include <gtest/gtest.h>

namespace berth::idmap {
namespace {

TEST(SubId, ParsesNamesAndIdsSkippingCommentsAndBadLines) {
  auto e = parse_subids(
      "# comment\n"
      "alice:100000:65536\n"
      "\n"
      "1001:165536:65536\r\n"
      "broken line\n"
      "bob:x:10\n"
      "carol:200000:0\n"
      ":300000:10\n"
      "dave:1:2:3\n"
      "eve:4294967295:2\n"
      "frank:231072:65536");
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].owner, "alice");
  EXPECT_EQ(e[0].range, (IdRange{100000, 65536}));
  EXPECT_EQ(e[1].owner, "1001");
  EXPECT_EQ(e[1].range, (IdRange{165536, 65536}));
  EXPECT_EQ(e[2].owner, "frank");
}

TEST(SubId, RangesForMatchNameOrNumericId) {
  auto e = parse_subids("alice:100000:65536\n1001:300000:10\nbob:5:5\nalice:400000:5\n");
  auto r = ranges_for(e, "alice", 1001);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].start, 100000u);
  EXPECT_EQ(r[1].start, 300000u);
  EXPECT_EQ(r[2].start, 400000u);
  EXPECT_TRUE(ranges_for(e, "zed", 7).empty());
}

TEST(SubId, FreeRangeStartsAt100000AndSkipsEveryOwnersRanges) {
  EXPECT_EQ(find_free_range({}, 65536), 100000u);
  auto e = parse_subids("a:100000:65536\nb:165536:65536\n");
  EXPECT_EQ(find_free_range(e, 65536), 231072u);
  // A gap big enough before a later range is used; a small one is not.
  e = parse_subids("a:300000:65536\nb:100000:1000\n");
  EXPECT_EQ(find_free_range(e, 65536), 101000u);
  e = parse_subids("a:100000:1000\nb:120000:10\n");
  EXPECT_EQ(find_free_range(e, 65536), 120010u);
  // Ranges below the start do not matter; overlapping ones are passed.
  e = parse_subids("low:1000:10\nx:90000:20000\ny:105000:100\n");
  EXPECT_EQ(find_free_range(e, 65536), 110000u);
}

TEST(SubId, NoRangeLeftBelowTwoToThe32) {
  auto e = parse_subids("a:100000:4294867296\n");
  EXPECT_FALSE(find_free_range(e, 65536).has_value());
  EXPECT_EQ(subid_line("berthremap", {100000, 65536}), "berthremap:100000:65536\n");
}

}  // namespace
}  // namespace berth::idmap

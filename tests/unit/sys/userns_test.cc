// sys::uid_map_is_nested: whether berthd already runs in a user namespace.
#include <gtest/gtest.h>

#include "sys/userns.h"

namespace berth::sys {
namespace {

TEST(UserNamespace, TheHostsMapIsNotNested) {
  EXPECT_FALSE(uid_map_is_nested("         0          0 4294967295\n"));
  EXPECT_TRUE(uid_map_is_nested("         0       1000          1\n         1     100000      65536\n"));
  EXPECT_TRUE(uid_map_is_nested("0 1000 1\n"));
  EXPECT_FALSE(uid_map_is_nested(""));
}

}  // namespace
}  // namespace berth::sys

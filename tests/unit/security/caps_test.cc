// Capability names and resolution (nothing is applied here).
#include <gtest/gtest.h>

#include <fstream>

#include "runtime/linux/caps.h"

using namespace berth;
using runtime::cap_from_name;

TEST(Caps, NamesWithOrWithoutPrefixAnyCase) {
  EXPECT_EQ(cap_from_name("CAP_CHOWN").value(), 0);
  EXPECT_EQ(cap_from_name("CHOWN").value(), 0);
  EXPECT_EQ(cap_from_name("cap_net_admin").value(), 12);
  EXPECT_EQ(cap_from_name("Net_Admin").value(), 12);
  EXPECT_EQ(cap_from_name("CAP_SYS_ADMIN").value(), 21);
  EXPECT_EQ(cap_from_name("CAP_CHECKPOINT_RESTORE").value(), 40);
  for (const char* bad : {"", "CAP_", "CAP_FOO", "CAP_CHOWNX", "CAP_CHOW", "12", "CAP_CAP_CHOWN"}) {
    auto r = cap_from_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  }
}

TEST(Caps, NameOfNumber) {
  EXPECT_EQ(runtime::cap_name(0), "CAP_CHOWN");
  EXPECT_EQ(runtime::cap_name(21), "CAP_SYS_ADMIN");
  EXPECT_EQ(runtime::cap_name(40), "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(runtime::cap_name(55), "CAP_55");
  for (int cap = 0; cap <= 40; ++cap) EXPECT_EQ(cap_from_name(runtime::cap_name(cap)).value(), cap);
}

TEST(Caps, LastCapMatchesProc) {
  std::ifstream f("/proc/sys/kernel/cap_last_cap");
  int expected = -1;
  if (!(f >> expected)) GTEST_SKIP() << "/proc/sys/kernel/cap_last_cap is not readable";
  EXPECT_EQ(runtime::last_cap(), expected);
  auto names = runtime::all_cap_names();
  ASSERT_EQ(names.size(), size_t(expected + 1));
  EXPECT_EQ(names.front(), "CAP_CHOWN");
}

TEST(Caps, ResolveBuildsMasks) {
  spec::Capabilities c;
  c.bounding = {"CAP_CHOWN", "CAP_KILL", "NET_BIND_SERVICE"};
  c.effective = {"CAP_KILL"};
  c.permitted = {"CAP_KILL", "cap_chown"};
  c.inheritable = {};
  c.ambient = {"CAP_KILL"};
  auto s = runtime::resolve_caps(c);
  ASSERT_TRUE(s) << s.error().str();
  EXPECT_EQ(s->bounding, (1ull << 0) | (1ull << 5) | (1ull << 10));
  EXPECT_EQ(s->effective, 1ull << 5);
  EXPECT_EQ(s->permitted, (1ull << 5) | 1ull);
  EXPECT_EQ(s->inheritable, 0ull);
  EXPECT_EQ(s->ambient, 1ull << 5);
}

TEST(Caps, UnknownNameNamesTheCapAndSet) {
  spec::Capabilities c;
  c.bounding = {"CAP_FOO"};
  auto s = runtime::resolve_caps(c);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::InvalidArgument);
  EXPECT_EQ(s.error().message, "process.capabilities.bounding: unknown capability CAP_FOO");

  c.bounding = {"CAP_CHOWN"};
  c.ambient = {"CAP_NOPE"};
  s = runtime::resolve_caps(c);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "process.capabilities.ambient: unknown capability CAP_NOPE");
}

// Rlimit names and resolution (nothing is applied here).
#include <gtest/gtest.h>

#include "runtime/linux/rlimits.h"

using namespace berth;

TEST(Rlimits, AllNamesResolve) {
  const std::pair<const char*, int> all[] = {
      {"RLIMIT_AS", RLIMIT_AS},           {"RLIMIT_CORE", RLIMIT_CORE},
      {"RLIMIT_CPU", RLIMIT_CPU},         {"RLIMIT_DATA", RLIMIT_DATA},
      {"RLIMIT_FSIZE", RLIMIT_FSIZE},     {"RLIMIT_LOCKS", RLIMIT_LOCKS},
      {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
      {"RLIMIT_NICE", RLIMIT_NICE},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
      {"RLIMIT_NPROC", RLIMIT_NPROC},     {"RLIMIT_RSS", RLIMIT_RSS},
      {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},   {"RLIMIT_RTTIME", RLIMIT_RTTIME},
      {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
  };
  std::vector<spec::Rlimit> in;
  for (auto [name, res] : all) in.push_back({name, 20, 10});
  auto r = runtime::resolve_rlimits(in);
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->size(), 16u);
  for (size_t i = 0; i < 16; ++i) {
    EXPECT_EQ((*r)[i].resource, all[i].second) << all[i].first;
    EXPECT_EQ((*r)[i].limit.rlim_cur, 10u);
    EXPECT_EQ((*r)[i].limit.rlim_max, 20u);
    EXPECT_EQ(runtime::rlimit_name(all[i].second), all[i].first);
    EXPECT_STREQ(runtime::rlimit_cname(all[i].second), all[i].first);
  }
}

TEST(Rlimits, UnknownResourceName) {
  EXPECT_EQ(runtime::rlimit_name(99), "RLIMIT_99");
  EXPECT_STREQ(runtime::rlimit_cname(99), "RLIMIT_?");
}

TEST(Rlimits, InfinityMapsThrough) {
  auto r = runtime::resolve_rlimits({{"RLIMIT_CORE", UINT64_MAX, UINT64_MAX}});
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)[0].limit.rlim_max, RLIM_INFINITY);
}

TEST(Rlimits, UnknownTypeIsNamed) {
  auto r = runtime::resolve_rlimits({{"RLIMIT_NOFILE", 10, 10}, {"RLIMIT_BOGUS", 1, 1}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::InvalidArgument);
  EXPECT_EQ(r.error().message, "process.rlimits[1].type: unknown rlimit RLIMIT_BOGUS");
  EXPECT_FALSE(runtime::resolve_rlimits({{"nofile", 1, 1}}));  // names are exact, as runc
}

TEST(Rlimits, SoftAboveHardAndDuplicatesAreRefused) {
  EXPECT_FALSE(runtime::resolve_rlimits({{"RLIMIT_NOFILE", 10, 20}}));
  EXPECT_FALSE(runtime::resolve_rlimits({{"RLIMIT_NOFILE", 10, 10}, {"RLIMIT_NOFILE", 5, 5}}));
}

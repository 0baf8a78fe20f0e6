// Rlimits applied in forked children.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "runtime/linux/caps.h"
#include "runtime/linux/rlimits.h"
#include "security/child.h"

using namespace berth;
using testing_child::run_in_child;

TEST(RlimitsApply, LimitsShowInGetrlimit) {
  rlimit nofile{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);
  ASSERT_GE(nofile.rlim_max, 200u);
  // Only lowering: this VM's root lacks CAP_SYS_RESOURCE, so no raising above the hard limit.
  auto limits = runtime::resolve_rlimits({{"RLIMIT_NOFILE", 200, 100},
                                          {"RLIMIT_CORE", 0, 0},
                                          {"RLIMIT_MSGQUEUE", 4096, 1024}});
  ASSERT_TRUE(limits) << limits.error().str();
  auto r = run_in_child([&] {
    size_t failed = 99;
    CHILD_CHECK(runtime::apply_rlimits(*limits, &failed) == 0);
    rlimit l{};
    CHILD_CHECK(::getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur == 100 && l.rlim_max == 200);
    CHILD_CHECK(::getrlimit(RLIMIT_CORE, &l) == 0 && l.rlim_cur == 0 && l.rlim_max == 0);
    CHILD_CHECK(::getrlimit(RLIMIT_MSGQUEUE, &l) == 0 && l.rlim_cur == 1024 && l.rlim_max == 4096);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}

TEST(RlimitsApply, FailureReportsTheIndex) {
  rlimit nofile{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);
  if (nofile.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "RLIMIT_NOFILE hard limit is unlimited";
  std::vector<runtime::ResolvedRlimit> limits = {
      {RLIMIT_CORE, {0, 0}},
      {RLIMIT_NOFILE, {nofile.rlim_max + 1, nofile.rlim_max + 1}},  // raising: needs CAP_SYS_RESOURCE
  };
  auto r = run_in_child([&] {
    CHILD_CHECK(runtime::apply_caps(runtime::CapSets{}) == 0);  // no capabilities at all
    size_t failed = 99;
    CHILD_CHECK(runtime::apply_rlimits(limits, &failed) < 0);
    CHILD_CHECK(errno == EPERM && failed == 1);
    return std::string();
  });
  EXPECT_TRUE(r.ok()) << testing_child::describe(r);
}

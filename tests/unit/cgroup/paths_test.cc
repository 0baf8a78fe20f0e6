#include <gtest/gtest.h>

#include "layouts.h"
#include "runtime/cgroup/paths.h"

using namespace berth;
using namespace berth::runtime::cgroup;
using berth::test::FakeCgroupFs;

TEST(CgroupPaths, EmptyMeansBerthSlashId) {
  auto p = cgroup_path_for("", "web1");
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(*p, "/berth/web1");
  EXPECT_FALSE(cgroup_path_for("", "a/b"));
  EXPECT_FALSE(cgroup_path_for("", ".."));
}

TEST(CgroupPaths, AbsoluteIsCleanedAndCannotEscape) {
  EXPECT_EQ(*cgroup_path_for("/docker//abc/", "x"), "/docker/abc");
  EXPECT_EQ(*cgroup_path_for("/../../etc", "x"), "/etc");
  EXPECT_EQ(*cgroup_path_for("/a/./b/../c", "x"), "/a/c");
}

TEST(CgroupPaths, RelativeStaysRelative) {
  EXPECT_EQ(*cgroup_path_for("foo/bar", "x"), "foo/bar");
  EXPECT_EQ(*cgroup_path_for("../../foo", "x"), "foo");
  EXPECT_FALSE(cgroup_path_for("a/..", "x"));
}

TEST(CgroupPaths, SystemdStyleIsRefused) {
  auto p = cgroup_path_for("system.slice:docker:abc", "abc");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, Errc::Unsupported);
  EXPECT_NE(p.error().message.find("systemd cgroup driver is not supported"), std::string::npos)
      << p.error().message;
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v1(fs), "system.slice:docker:abc", "abc");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::Unsupported);
}

TEST(CgroupPaths, RootCgroupIsRefused) {
  FakeCgroupFs fs;
  EXPECT_FALSE(make_manager(berth::test::fake_v1(fs), "/", "abc"));
}

TEST(CgroupPaths, AbsoluteFromMountRootRelativeFromOwnCgroup) {
  FakeCgroupFs fs;
  auto layout = berth::test::fake_v1(fs);
  auto abs = make_manager(layout, "/ctr/a", "a");
  ASSERT_TRUE(abs) << abs.error().str();
  EXPECT_EQ((*abs)->paths().at(fs.path("cgroup/memory")), fs.path("cgroup/memory/ctr/a"));
  auto rel = make_manager(layout, "ctr/a", "a");
  ASSERT_TRUE(rel);
  // The runtime is in /process_api/self in the memory hierarchy only.
  EXPECT_EQ((*rel)->paths().at(fs.path("cgroup/memory")), fs.path("cgroup/memory/process_api/self/ctr/a"));
  EXPECT_EQ((*rel)->paths().at(fs.path("cgroup/cpu")), fs.path("cgroup/cpu/ctr/a"));
}

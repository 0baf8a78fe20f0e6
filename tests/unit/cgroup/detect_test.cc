#include <gtest/gtest.h>

#include <algorithm>

#include "layouts.h"

using namespace berth;
using namespace berth::runtime::cgroup;
using berth::test::FakeCgroupFs;

namespace {

const Hierarchy* find(const Layout& l, const std::string& controller) {
  for (const auto& h : l.v1)
    if (std::count(h.controllers.begin(), h.controllers.end(), controller)) return &h;
  return nullptr;
}

}  // namespace

TEST(CgroupDetect, V1SeparateCpuAndCpuacct) {
  FakeCgroupFs fs;
  auto l = berth::test::fake_v1(fs);
  EXPECT_EQ(l.mode, Mode::V1);
  EXPECT_FALSE(l.unified);
  ASSERT_TRUE(find(l, "cpu"));
  ASSERT_TRUE(find(l, "cpuacct"));
  EXPECT_NE(find(l, "cpu"), find(l, "cpuacct"));
  EXPECT_EQ(find(l, "cpu")->mountpoint, fs.path("cgroup/cpu"));
  EXPECT_EQ(find(l, "memory")->self_path, "/process_api/self");
  EXPECT_EQ(find(l, "memory")->root, "/");
  // The named hierarchy is kept, without its xattr option.
  ASSERT_TRUE(find(l, "name=systemd"));
  EXPECT_EQ(find(l, "name=systemd")->controllers, std::vector<std::string>{"name=systemd"});
  // perf_event is listed in /proc/self/cgroup but not mounted.
  EXPECT_FALSE(find(l, "perf_event"));
  EXPECT_EQ(l.v1.size(), 9u);
}

TEST(CgroupDetect, V1CoMountedCpuCpuacct) {
  FakeCgroupFs fs;
  auto l = berth::test::fake_v1(fs, /*comount_cpu=*/true);
  ASSERT_TRUE(find(l, "cpu"));
  EXPECT_EQ(find(l, "cpu"), find(l, "cpuacct"));
  EXPECT_EQ(find(l, "cpu")->mountpoint, fs.path("cgroup/cpu,cpuacct"));
  EXPECT_EQ(find(l, "cpu")->self_path, "/");
}

TEST(CgroupDetect, Hybrid) {
  FakeCgroupFs fs;
  auto l = berth::test::fake_hybrid(fs);
  EXPECT_EQ(l.mode, Mode::Hybrid);
  ASSERT_TRUE(l.unified);
  EXPECT_EQ(l.unified->mountpoint, fs.path("cgroup/unified"));
  EXPECT_EQ(l.unified->self_path, "/");
  EXPECT_EQ(l.v2_controllers, std::vector<std::string>{"hugetlb"});
  EXPECT_FALSE(find(l, "hugetlb"));
}

TEST(CgroupDetect, PureV2) {
  FakeCgroupFs fs;
  auto l = berth::test::fake_v2(fs);
  EXPECT_EQ(l.mode, Mode::V2);
  EXPECT_TRUE(l.v1.empty());
  ASSERT_TRUE(l.unified);
  EXPECT_EQ(l.unified->self_path, "/user.slice/session");
  EXPECT_EQ(l.v2_controllers, (std::vector<std::string>{"cpuset", "cpu", "io", "memory", "hugetlb", "pids"}));
}

TEST(CgroupDetect, EscapedMountpointAndNonRootMount) {
  FakeCgroupFs fs;
  fs.add_dir("with space", {{"cgroup.procs", ""}});
  // Inside a container without a cgroup namespace: the mount shows /docker/abc.
  std::string mountinfo = "40 31 0:40 /docker/abc " + fs.path("with\\040space") +
                          " rw,relatime shared:5 - cgroup cgroup rw,memory\n";
  auto l = berth::test::detect_fake(fs, mountinfo, "4:memory:/docker/abc/inner\n");
  ASSERT_EQ(l.v1.size(), 1u);
  EXPECT_EQ(l.v1[0].mountpoint, fs.path("with space"));
  EXPECT_EQ(l.v1[0].root, "/docker/abc");
  auto m = make_manager(l, "child", "c1");
  ASSERT_TRUE(m) << m.error().str();
  // Relative to the own cgroup, with the mount's root stripped.
  EXPECT_EQ((*m)->paths().at(fs.path("with space")), fs.path("with space") + "/inner/child");
}

TEST(CgroupDetect, NothingMounted) {
  FakeCgroupFs fs;
  auto l = detect_layout(fs.write_file("mountinfo", "22 1 0:21 / /proc rw - proc proc rw\n"),
                         fs.write_file("self", "0::/\n"));
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, Errc::Unsupported);
}

TEST(CgroupDetect, MissingProcFile) {
  auto l = detect_layout("/nonexistent/mountinfo", "/nonexistent/cgroup");
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code, Errc::NotFound);
}

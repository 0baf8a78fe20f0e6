#include <gtest/gtest.h>

#include "layouts.h"

using namespace berth;
using namespace berth::runtime::cgroup;
using berth::test::FakeCgroupFs;

TEST(CgroupHybrid, HugetlbGoesToTheCgroup2AndTheRestToV1) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_hybrid(fs), "/berth/h1", "h1");
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_EQ((*m)->mode(), Mode::Hybrid);
  spec::Resources r;
  r.memory = spec::Memory{};
  r.memory->limit = 1 << 30;
  r.hugepage_limits.push_back({"2MB", 4 << 20});
  auto res = (*m)->create(&r);
  ASSERT_TRUE(res) << res.error().str();
  EXPECT_EQ((*m)->clone_into_fd(), -1);
  // hugetlb enabled down the cgroup2, then limited there.
  EXPECT_EQ(fs.writes_to("cgroup/unified/cgroup.subtree_control"), std::vector<std::string>{"+hugetlb"});
  EXPECT_EQ(fs.writes_to("cgroup/unified/berth/cgroup.subtree_control"), std::vector<std::string>{"+hugetlb"});
  EXPECT_EQ(fs.read("cgroup/unified/berth/h1/hugetlb.2MB.max"), std::to_string(4 << 20));
  EXPECT_EQ(fs.read("cgroup/memory/berth/h1/memory.limit_in_bytes"), std::to_string(1 << 30));
  // The process joins v1 hierarchies and the cgroup2 at the same path.
  ASSERT_TRUE((*m)->add_process(77));
  EXPECT_EQ(fs.read("cgroup/unified/berth/h1/cgroup.procs"), "77\n");
  EXPECT_EQ(fs.read("cgroup/memory/berth/h1/cgroup.procs"), "77\n");
  EXPECT_EQ((*m)->paths().at(fs.path("cgroup/unified")), fs.path("cgroup/unified/berth/h1"));
  // Freezing uses the v1 freezer.
  ASSERT_TRUE((*m)->freeze());
  EXPECT_EQ(fs.read("cgroup/freezer/berth/h1/freezer.state"), "FROZEN");
  EXPECT_TRUE(fs.writes_to("cgroup/unified/berth/h1/cgroup.freeze").empty());

  auto st = (*m)->stats();
  ASSERT_TRUE(st);
  EXPECT_TRUE((*st)["hugetlb"].contains("2MB")) << st->dump();

  auto again = manager_from_json((*m)->to_json());
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->mode(), Mode::Hybrid);
  ASSERT_TRUE((*again)->destroy());
  EXPECT_FALSE(fs.exists("cgroup/unified/berth"));
  EXPECT_FALSE(fs.exists("cgroup/memory/berth"));
}

TEST(CgroupHybrid, UnifiedFilesOnlyForCgroup2Controllers) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_hybrid(fs), "/c", "c");
  ASSERT_TRUE(m);
  spec::Resources ok;
  ok.unified["hugetlb.1GB.max"] = "0";
  auto r1 = (*m)->create(&ok);
  ASSERT_TRUE(r1) << r1.error().str();
  EXPECT_EQ(fs.read("cgroup/unified/c/hugetlb.1GB.max"), "0");
  spec::Resources bad;
  bad.unified["memory.high"] = "1G";
  auto r2 = (*m)->update(bad);
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("linux.resources.unified[\"memory.high\"]"), std::string::npos)
      << r2.error().message;
}

TEST(CgroupHybrid, RefusedHugetlbLimitRemovesV1AndV2Directories) {
  FakeCgroupFs fs;
  auto layout = berth::test::fake_hybrid(fs);
  fs.refuse.insert("hugetlb.2MB.max");
  auto m = make_manager(layout, "/berth/h2", "h2");
  ASSERT_TRUE(m);
  spec::Resources r;
  r.hugepage_limits.push_back({"2MB", 123});
  auto res = (*m)->create(&r);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().str(), "setting hugetlb.2MB.max to 123 for container h2: Invalid argument");
  EXPECT_FALSE(fs.exists("cgroup/unified/berth"));
  EXPECT_FALSE(fs.exists("cgroup/memory/berth"));
}

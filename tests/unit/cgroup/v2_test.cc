#include <gtest/gtest.h>

#include "layouts.h"
#include "runtime/cgroup/drivers.h"

using namespace berth;
using namespace berth::runtime::cgroup;
using berth::test::FakeCgroupFs;
namespace v2 = berth::runtime::cgroup::detail::v2;

TEST(CgroupV2, SharesToWeightAsRunc) {
  EXPECT_EQ(v2::cpu_shares_to_weight(0), 0u);
  EXPECT_EQ(v2::cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(v2::cpu_shares_to_weight(1024), 100u);
  EXPECT_EQ(v2::cpu_shares_to_weight(512), 59u);
  EXPECT_EQ(v2::cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(v2::cpu_shares_to_weight(1000000), 10000u);
}

TEST(CgroupV2, SwapArithmetic) {
  EXPECT_EQ(*v2::swap_to_v2(300, 100), 200);
  EXPECT_EQ(*v2::swap_to_v2(100, 100), 0);
  EXPECT_EQ(*v2::swap_to_v2(-1, 100), -1);
  EXPECT_EQ(*v2::swap_to_v2(0, 100), 0);
  EXPECT_EQ(*v2::swap_to_v2(0, -1), -1);
  EXPECT_FALSE(v2::swap_to_v2(50, 100));
  EXPECT_FALSE(v2::swap_to_v2(300, 0));
}

TEST(CgroupV2, BlkioWeightConversion) {
  EXPECT_EQ(v2::blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(v2::blkio_weight_to_io_weight(1000), 10000u);
  EXPECT_EQ(v2::blkio_weight_to_io_weight(500), 1 + 490 * 9999 / 990u);
}

TEST(CgroupV2, CreateEnablesControllersAndWritesV2Files) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v2(fs), "/berth/v", "v");
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_EQ((*m)->mode(), Mode::V2);
  spec::Resources r;
  r.memory = spec::Memory{};
  r.memory->limit = 100000;
  r.memory->swap = 300000;
  r.memory->reservation = 50000;
  r.memory->kernel = 1;  // ignored with a warning
  r.cpu = spec::Cpu{};
  r.cpu->shares = 1024;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->cpus = "0-1";
  r.pids = spec::Pids{0};
  r.block_io = spec::BlockIo{};
  r.block_io->weight = 1000;
  r.block_io->throttle_write_iops.push_back({8, 16, 500});
  r.hugepage_limits.push_back({"2MB", 2097152});
  r.unified["memory.high"] = "90000";
  auto res = (*m)->create(&r);
  ASSERT_TRUE(res) << res.error().str();
  EXPECT_GE((*m)->clone_into_fd(), 0);

  EXPECT_EQ(fs.writes_to("cg2/cgroup.subtree_control"),
            std::vector<std::string>{"+cpuset +cpu +io +memory +hugetlb +pids"});
  EXPECT_EQ(fs.writes_to("cg2/berth/cgroup.subtree_control"),
            std::vector<std::string>{"+cpuset +cpu +io +memory +hugetlb +pids"});
  EXPECT_TRUE(fs.writes_to("cg2/berth/v/cgroup.subtree_control").empty());
  const std::string d = "cg2/berth/v/";
  EXPECT_EQ(fs.read(d + "memory.max"), "100000");
  EXPECT_EQ(fs.read(d + "memory.swap.max"), "200000");
  EXPECT_EQ(fs.read(d + "memory.low"), "50000");
  EXPECT_EQ(fs.read(d + "cpu.weight"), "100");
  EXPECT_EQ(fs.read(d + "cpu.max"), "50000 100000");
  EXPECT_EQ(fs.read(d + "cpuset.cpus"), "0-1");
  EXPECT_EQ(fs.read(d + "pids.max"), "max");
  EXPECT_EQ(fs.read(d + "io.weight"), "10000");
  EXPECT_EQ(fs.read(d + "io.max"), "8:16 wiops=500");
  EXPECT_EQ(fs.read(d + "hugetlb.2MB.max"), "2097152");
  EXPECT_EQ(fs.read(d + "memory.high"), "90000");
}

TEST(CgroupV2, SwapEqualToLimitDisablesSwapAndQuotaWithoutPeriod) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v2(fs), "/c", "c");
  ASSERT_TRUE(m);
  spec::Resources r;
  r.memory = spec::Memory{};
  r.memory->limit = 4096;
  r.memory->swap = 4096;
  r.cpu = spec::Cpu{};
  r.cpu->quota = -1;
  r.cpu->period = 20000;
  ASSERT_TRUE((*m)->create(&r));
  EXPECT_EQ(fs.read("cg2/c/memory.swap.max"), "0");
  EXPECT_EQ(fs.read("cg2/c/cpu.max"), "max 20000");
}

TEST(CgroupV2, RelativePathIsBelowOwnCgroup) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v2(fs), "ctr", "c");
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)->paths().at(fs.path("cg2")), fs.path("cg2/user.slice/session/ctr"));
}

TEST(CgroupV2, InvalidValuesAreRefusedAndNothingIsLeft) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v2(fs), "/berth/bad", "bad");
  ASSERT_TRUE(m);
  spec::Resources swap;
  swap.memory = spec::Memory{};
  swap.memory->limit = 1000;
  swap.memory->swap = 10;
  auto r1 = (*m)->create(&swap);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, Errc::InvalidArgument);
  EXPECT_FALSE(fs.exists("cg2/berth"));

  spec::Resources rt;
  rt.cpu = spec::Cpu{};
  rt.cpu->realtime_runtime = 1000;
  auto r2 = (*m)->create(&rt);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, Errc::Unsupported);

  fs.refuse.insert("pids.max");
  spec::Resources pids;
  pids.pids = spec::Pids{5};
  auto r3 = (*m)->create(&pids);
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().str(), "setting pids.max to 5 for container bad: Invalid argument");
  EXPECT_FALSE(fs.exists("cg2/berth"));

  spec::Resources net;
  net.network = spec::Network{};
  net.network->priorities.push_back({"eth0", 1});
  auto r4 = (*m)->create(&net);
  ASSERT_FALSE(r4);
  EXPECT_NE(r4.error().message.find("network.priorities"), std::string::npos);
}

TEST(CgroupV2, FreezeWaitsForCgroupEvents) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v2(fs), "/c", "c");
  ASSERT_TRUE(m);
  ASSERT_TRUE((*m)->create(nullptr));
  EXPECT_FALSE(*(*m)->is_frozen());
  auto f = (*m)->freeze();
  ASSERT_TRUE(f) << f.error().str();
  EXPECT_EQ(fs.read("cg2/c/cgroup.freeze"), "1");
  EXPECT_TRUE(*(*m)->is_frozen());
  ASSERT_TRUE((*m)->thaw());
  EXPECT_FALSE(*(*m)->is_frozen());
}

TEST(CgroupV2, StatsPidsOomAndDestroy) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v2(fs), "/berth/s", "s");
  ASSERT_TRUE(m);
  ASSERT_TRUE((*m)->create(nullptr));
  ASSERT_TRUE((*m)->add_process(10));
  EXPECT_EQ(fs.read("cg2/berth/s/cgroup.procs"), "10\n");
  EXPECT_EQ(*(*m)->pids(), std::vector<pid_t>{10});
  auto s = (*m)->stats();
  ASSERT_TRUE(s);
  auto& j = *s;
  EXPECT_EQ(j["cpu"]["usage"]["total"], 10000);
  EXPECT_EQ(j["cpu"]["usage"]["kernel"], 4000);
  EXPECT_EQ(j["cpu"]["throttling"]["throttledTime"], 2000);
  EXPECT_EQ(j["memory"]["usage"]["usage"], 4096);
  EXPECT_EQ(j["memory"]["usage"]["failcnt"], 3);
  EXPECT_EQ(j["memory"]["raw"]["file"], 200);
  EXPECT_EQ(j["pids"]["current"], 1);
  EXPECT_EQ(j["blkio"]["ioServiceBytesRecursive"][1]["op"], "Write");
  EXPECT_EQ(j["blkio"]["ioServiceBytesRecursive"][1]["value"], 20);
  EXPECT_EQ(*(*m)->oom_killed(), false);
  fs.put("cg2/berth/s/memory.events", "oom 1\noom_kill 1\n");
  EXPECT_EQ(*(*m)->oom_killed(), true);

  auto again = manager_from_json((*m)->to_json());
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_GE((*again)->clone_into_fd(), 0);
  ASSERT_TRUE((*again)->destroy());
  EXPECT_FALSE(fs.exists("cg2/berth"));
  EXPECT_TRUE(fs.exists("cg2"));
}

TEST(CgroupV2, BadStateIsAnError) {
  EXPECT_FALSE(manager_from_json(nlohmann::json::object()));
  EXPECT_FALSE(manager_from_json({{"version", 99}}));
}

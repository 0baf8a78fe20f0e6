#include <gtest/gtest.h>

#include "layouts.h"

using namespace berth;
using namespace berth::runtime::cgroup;
using berth::test::FakeCgroupFs;

namespace {

spec::Resources full_resources() {
  spec::Resources r;
  r.memory = spec::Memory{};
  r.memory->limit = 100 << 20;
  r.memory->reservation = 50 << 20;
  r.memory->swap = 200 << 20;
  r.memory->swappiness = 10;
  r.memory->disable_oom_killer = true;
  r.cpu = spec::Cpu{};
  r.cpu->shares = 512;
  r.cpu->quota = 50000;
  r.cpu->period = 100000;
  r.cpu->cpus = "1";
  r.pids = spec::Pids{64};
  r.block_io = spec::BlockIo{};
  r.block_io->weight = 300;
  r.block_io->throttle_read_bps.push_back({8, 0, 1048576});
  r.devices.push_back(spec::DeviceRule{false, "a", std::nullopt, std::nullopt, "rwm"});
  r.devices.push_back(spec::DeviceRule{true, "c", 1, 3, "rwm"});
  r.devices.push_back(spec::DeviceRule{true, "c", 136, std::nullopt, "rw"});
  return r;
}

}  // namespace

TEST(CgroupV1, CreateWritesEveryLimitInItsHierarchy) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v1(fs), "/berth/c1", "c1");
  ASSERT_TRUE(m) << m.error().str();
  EXPECT_EQ((*m)->mode(), Mode::V1);
  EXPECT_EQ((*m)->clone_into_fd(), -1);
  auto r = full_resources();
  auto created = (*m)->create(&r);
  ASSERT_TRUE(created) << created.error().str();

  const std::string mem = "cgroup/memory/berth/c1/";
  EXPECT_EQ(fs.read(mem + "memory.limit_in_bytes"), std::to_string(100 << 20));
  EXPECT_EQ(fs.read(mem + "memory.memsw.limit_in_bytes"), std::to_string(200 << 20));
  EXPECT_EQ(fs.read(mem + "memory.soft_limit_in_bytes"), std::to_string(50 << 20));
  EXPECT_EQ(fs.read(mem + "memory.swappiness"), "10");
  EXPECT_EQ(fs.read(mem + "memory.oom_control"), "1");
  const std::string cpu = "cgroup/cpu/berth/c1/";
  EXPECT_EQ(fs.read(cpu + "cpu.shares"), "512");
  EXPECT_EQ(fs.read(cpu + "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(fs.read(cpu + "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(fs.read("cgroup/cpuset/berth/c1/cpuset.cpus"), "1");
  EXPECT_EQ(fs.read("cgroup/pids/berth/c1/pids.max"), "64");
  EXPECT_EQ(fs.read("cgroup/blkio/berth/c1/blkio.weight"), "300");
  EXPECT_EQ(fs.read("cgroup/blkio/berth/c1/blkio.throttle.read_bps_device"), "8:0 1048576");
  // Device rules in order, each to its own file.
  const std::string dev = "cgroup/devices/berth/c1/";
  EXPECT_EQ(fs.writes_to(dev + "devices.deny"), std::vector<std::string>{"a *:* rwm"});
  EXPECT_EQ(fs.writes_to(dev + "devices.allow"), (std::vector<std::string>{"c 1:3 rwm", "c 136:* rw"}));
  EXPECT_LT(fs.index_of(dev + "devices.deny", "a *:* rwm"), fs.index_of(dev + "devices.allow", "c 1:3 rwm"));
  // Directories in every mounted hierarchy, the named one too.
  for (const char* h : {"cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer", "blkio", "systemd"})
    EXPECT_TRUE(fs.exists(std::string("cgroup/") + h + "/berth/c1")) << h;
}

TEST(CgroupV1, RepeatedDeviceRulesAreWrittenOnceUnlessAnotherKindCameBetween) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v1(fs), "/berth/c1", "c1");
  ASSERT_TRUE(m) << m.error().str();
  spec::Resources r;
  auto rule = [](bool allow, std::optional<int64_t> minor) {
    return spec::DeviceRule{allow, "c", 1, minor, "rwm"};
  };
  r.devices = {spec::DeviceRule{false, "a", std::nullopt, std::nullopt, "rwm"},
               rule(true, 3), rule(true, 5), rule(true, 3),  // the second 1:3 is a no-op
               rule(false, 5),                               // takes 1:5 away again
               rule(true, 5), rule(true, 3)};                // both count: a deny came between
  ASSERT_TRUE((*m)->create(&r));
  const std::string dev = "cgroup/devices/berth/c1/";
  EXPECT_EQ(fs.writes_to(dev + "devices.allow"),
            (std::vector<std::string>{"c 1:3 rwm", "c 1:5 rwm", "c 1:5 rwm", "c 1:3 rwm"}));
  EXPECT_EQ(fs.writes_to(dev + "devices.deny"), (std::vector<std::string>{"a *:* rwm", "c 1:5 rwm"}));
}

TEST(CgroupV1, CpusetIsInheritedLevelByLevel) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v1(fs), "/a/b/c", "c");
  ASSERT_TRUE(m);
  ASSERT_TRUE((*m)->create(nullptr));
  for (const char* level : {"a", "a/b", "a/b/c"}) {
    EXPECT_EQ(fs.read(std::string("cgroup/cpuset/") + level + "/cpuset.cpus"), "0-3") << level;
    EXPECT_EQ(fs.read(std::string("cgroup/cpuset/") + level + "/cpuset.mems"), "0") << level;
  }
}

TEST(CgroupV1, CpusetCopiedFromFirstAncestorThatHasIt) {
  FakeCgroupFs fs;
  auto layout = berth::test::fake_v1(fs);
  // A pre-existing parent that someone left empty.
  fs.add_dir("cgroup/cpuset/shared", {{"cpuset.cpus", ""}, {"cpuset.mems", ""}, {"cgroup.procs", ""}});
  auto m = make_manager(layout, "/shared/c", "c");
  ASSERT_TRUE(m);
  spec::Resources r;
  r.cpu = spec::Cpu{};
  r.cpu->mems = "0";
  ASSERT_TRUE((*m)->create(&r));
  EXPECT_EQ(fs.read("cgroup/cpuset/shared/cpuset.cpus"), "0-3");
  EXPECT_EQ(fs.read("cgroup/cpuset/shared/c/cpuset.cpus"), "0-3");
  EXPECT_EQ(fs.read("cgroup/cpuset/shared/c/cpuset.mems"), "0");
}

TEST(CgroupV1, SwapOrderFollowsTheCurrentLimit) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v1(fs), "/c", "c");
  ASSERT_TRUE(m);
  spec::Resources r;
  r.memory = spec::Memory{};
  r.memory->limit = 1000000;
  r.memory->swap = 2000000;
  ASSERT_TRUE((*m)->create(&r));
  // Current limit (unlimited) is above the new swap: limit first, then swap.
  const std::string mem = "cgroup/memory/c/";
  EXPECT_LT(fs.index_of(mem + "memory.limit_in_bytes", "1000000"),
            fs.index_of(mem + "memory.memsw.limit_in_bytes", "2000000"));
  // Raising both above the current limit: swap first.
  r.memory->limit = 3000000;
  r.memory->swap = 4000000;
  ASSERT_TRUE((*m)->update(r));
  EXPECT_LT(fs.index_of(mem + "memory.memsw.limit_in_bytes", "4000000"),
            fs.index_of(mem + "memory.limit_in_bytes", "3000000"));
  // Unlimited memory with unset swap: both unlimited, swap first.
  spec::Resources unl;
  unl.memory = spec::Memory{};
  unl.memory->limit = -1;
  ASSERT_TRUE((*m)->update(unl));
  EXPECT_EQ(fs.read(mem + "memory.limit_in_bytes"), "-1");
  EXPECT_EQ(fs.read(mem + "memory.memsw.limit_in_bytes"), "-1");
}

TEST(CgroupV1, KernelMemoryWithoutKernelSupportIsIgnored) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v1(fs), "/c", "c");
  ASSERT_TRUE(m);
  spec::Resources r;
  r.memory = spec::Memory{};
  r.memory->kernel = 1 << 20;
  r.memory->kernel_tcp = 1 << 20;
  auto res = (*m)->create(&r);
  EXPECT_TRUE(res) << res.error().str();
}

TEST(CgroupV1, RefusedLimitNamesFileAndValueAndRemovesDirectories) {
  FakeCgroupFs fs;
  auto layout = berth::test::fake_v1(fs);
  fs.refuse.insert("memory.limit_in_bytes");
  auto m = make_manager(layout, "/berth/x", "x");
  ASSERT_TRUE(m);
  spec::Resources r;
  r.memory = spec::Memory{};
  r.memory->limit = 1000;
  auto res = (*m)->create(&r);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().str(), "setting memory.limit_in_bytes to 1000 for container x: Invalid argument");
  EXPECT_EQ(res.error().code, Errc::InvalidArgument);
  for (const char* h : {"cpu", "memory", "cpuset", "systemd"}) {
    EXPECT_FALSE(fs.exists(std::string("cgroup/") + h + "/berth")) << h;
    EXPECT_TRUE(fs.exists(std::string("cgroup/") + h)) << h;
  }
}

TEST(CgroupV1, NetworkAndUnifiedAreRefusedNamingTheField) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v1(fs), "/c", "c");
  ASSERT_TRUE(m);
  spec::Resources net;
  net.network = spec::Network{};
  net.network->class_id = 0x100001;
  auto r1 = (*m)->create(&net);
  ASSERT_FALSE(r1);
  EXPECT_NE(r1.error().message.find("linux.resources.network.classID"), std::string::npos) << r1.error().message;
  EXPECT_FALSE(fs.exists("cgroup/memory/c"));

  spec::Resources uni;
  uni.unified["memory.high"] = "100M";
  auto r2 = (*m)->create(&uni);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, Errc::Unsupported);
  EXPECT_NE(r2.error().message.find("linux.resources.unified"), std::string::npos) << r2.error().message;
}

TEST(CgroupV1, NetClsWhenMounted) {
  FakeCgroupFs fs;
  std::string mountinfo, self;
  berth::test::add_v1_hierarchies(fs, false, mountinfo, self);
  fs.add_dir("cgroup/net_cls,net_prio", {{"net_cls.classid", "0"}, {"net_prio.ifpriomap", ""}, {"cgroup.procs", ""}});
  mountinfo += berth::test::mount_line(60, fs.path("cgroup/net_cls,net_prio"), "cgroup", "rw,net_cls,net_prio");
  auto m = make_manager(berth::test::detect_fake(fs, mountinfo, self), "/c", "c");
  ASSERT_TRUE(m);
  spec::Resources r;
  r.network = spec::Network{};
  r.network->class_id = 1048577;
  r.network->priorities.push_back({"eth0", 5});
  auto res = (*m)->create(&r);
  ASSERT_TRUE(res) << res.error().str();
  EXPECT_EQ(fs.read("cgroup/net_cls,net_prio/c/net_cls.classid"), "1048577");
  EXPECT_EQ(fs.read("cgroup/net_cls,net_prio/c/net_prio.ifpriomap"), "eth0 5");
}

TEST(CgroupV1, AddProcessFreezePidsOom) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v1(fs), "/c", "c");
  ASSERT_TRUE(m);
  ASSERT_TRUE((*m)->create(nullptr));
  ASSERT_TRUE((*m)->add_process(4242));
  for (const char* h : {"cpu", "memory", "pids", "systemd"})
    EXPECT_EQ(fs.read(std::string("cgroup/") + h + "/c/cgroup.procs"), "4242\n") << h;
  // A child cgroup the container made itself.
  fs.add_dir("cgroup/pids/c/inner", {{"cgroup.procs", "4243\n4244\n"}});
  auto pids = (*m)->pids();
  ASSERT_TRUE(pids) << pids.error().str();
  EXPECT_EQ(*pids, (std::vector<pid_t>{4242, 4243, 4244}));

  ASSERT_TRUE((*m)->freeze());
  EXPECT_EQ(fs.read("cgroup/freezer/c/freezer.state"), "FROZEN");
  EXPECT_TRUE(*(*m)->is_frozen());
  ASSERT_TRUE((*m)->thaw());
  EXPECT_FALSE(*(*m)->is_frozen());

  EXPECT_FALSE(*(*m)->oom_killed());
  fs.put("cgroup/memory/c/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  EXPECT_TRUE(*(*m)->oom_killed());

  // destroy() removes the container's child cgroups too.
  auto d = (*m)->destroy();
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_FALSE(fs.exists("cgroup/pids/c"));
}

TEST(CgroupV1, DestroyKeepsParentsItDidNotCreate) {
  FakeCgroupFs fs;
  auto layout = berth::test::fake_v1(fs);
  fs.add_dir("cgroup/memory/docker", {{"cgroup.procs", ""}});
  auto m = make_manager(layout, "/docker/c", "c");
  ASSERT_TRUE(m);
  ASSERT_TRUE((*m)->create(nullptr));
  // Rebuilt in another process from the saved state.
  auto again = manager_from_json((*m)->to_json());
  ASSERT_TRUE(again) << again.error().str();
  EXPECT_EQ((*again)->paths(), (*m)->paths());
  ASSERT_TRUE((*again)->destroy());
  EXPECT_FALSE(fs.exists("cgroup/memory/docker/c"));
  EXPECT_TRUE(fs.exists("cgroup/memory/docker"));   // was there before
  EXPECT_FALSE(fs.exists("cgroup/cpu/docker"));     // we made it
  // Idempotent.
  EXPECT_TRUE((*again)->destroy());
}

TEST(CgroupV1, Stats) {
  FakeCgroupFs fs;
  auto m = make_manager(berth::test::fake_v1(fs), "/c", "c");
  ASSERT_TRUE(m);
  ASSERT_TRUE((*m)->create(nullptr));
  fs.put("cgroup/pids/c/pids.current", "3");
  fs.put("cgroup/pids/c/pids.max", "10");
  auto s = (*m)->stats();
  ASSERT_TRUE(s) << s.error().str();
  auto& j = *s;
  EXPECT_EQ(j["cpu"]["usage"]["total"], 5000);
  EXPECT_EQ(j["cpu"]["usage"]["percpu"], nlohmann::json({3000, 2000}));
  EXPECT_GT(j["cpu"]["usage"]["user"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["cpu"]["throttling"]["throttledPeriods"], 2);
  EXPECT_EQ(j["memory"]["usage"]["usage"], 4096);
  EXPECT_EQ(j["memory"]["usage"]["max"], 8192);
  EXPECT_EQ(j["memory"]["usage"]["failcnt"], 1);
  EXPECT_EQ(j["memory"]["raw"]["rss"], 200);
  EXPECT_EQ(j["pids"]["current"], 3);
  EXPECT_EQ(j["pids"]["limit"], 10);
  EXPECT_TRUE(j.contains("blkio"));
  EXPECT_TRUE(j.contains("hugetlb"));
}

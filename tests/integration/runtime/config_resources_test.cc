// linux.resources: the values land in the container's cgroup files (v1 here,
// hugetlb in the cgroup2), and the limits are enforced.
#include <gtest/gtest.h>

#include "runtime/config_helpers.h"

using namespace berth::testing;
using namespace berth::testing::cfg;

namespace {

// Where the hugetlb controller of this host is: a v1 hierarchy or the cgroup2.
std::string hugetlb_dir(const std::string& id) {
  if (std::filesystem::exists("/sys/fs/cgroup/hugetlb/tasks")) return cgroup_dir("hugetlb", id);
  if (slurp("/sys/fs/cgroup/unified/cgroup.controllers").find("hugetlb") != std::string::npos)
    return "/sys/fs/cgroup/unified/berth/" + id;
  if (slurp("/sys/fs/cgroup/cgroup.controllers").find("hugetlb") != std::string::npos)
    return "/sys/fs/cgroup/berth/" + id;
  return "";
}

bool wait_for_file(const std::string& path, int ms = 10000) {
  for (int i = 0; i < ms / 20; ++i) {
    if (!slurp(path).empty()) return true;
    usleep(20000);
  }
  return false;
}

}  // namespace

TEST(ConfigResources, MemoryCpuCpusetPidsLandInTheCgroup) {
  Bundle b;
  auto& res = b.config()["linux"]["resources"];
  res["memory"] = {{"limit", 64 << 20},  {"swap", 128 << 20},           {"reservation", 32 << 20},
                   {"swappiness", 17},    {"disableOOMKiller", true}};
  res["cpu"] = {{"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0"}, {"mems", "0"}};
  res["pids"] = {{"limit", 20}};
  b.set_args({"sh", "-c", "grep Cpus_allowed_list /proc/self/status > /tmp/cpus; sleep 30"});
  std::string id = b.unique_id("res");
  int pid = run_detached(b, id);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(read_trimmed(cgroup_dir("memory", id) + "/memory.limit_in_bytes"), std::to_string(64 << 20));
  EXPECT_EQ(read_trimmed(cgroup_dir("memory", id) + "/memory.memsw.limit_in_bytes"), std::to_string(128 << 20));
  EXPECT_EQ(read_trimmed(cgroup_dir("memory", id) + "/memory.soft_limit_in_bytes"), std::to_string(32 << 20));
  EXPECT_EQ(read_trimmed(cgroup_dir("memory", id) + "/memory.swappiness"), "17");
  EXPECT_NE(slurp(cgroup_dir("memory", id) + "/memory.oom_control").find("oom_kill_disable 1"), std::string::npos);
  EXPECT_EQ(read_trimmed(cgroup_dir("cpu", id) + "/cpu.shares"), "512");
  EXPECT_EQ(read_trimmed(cgroup_dir("cpu", id) + "/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(read_trimmed(cgroup_dir("cpu", id) + "/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(read_trimmed(cgroup_dir("cpuset", id) + "/cpuset.cpus"), "0");
  EXPECT_EQ(read_trimmed(cgroup_dir("cpuset", id) + "/cpuset.mems"), "0");
  EXPECT_EQ(read_trimmed(cgroup_dir("pids", id) + "/pids.max"), "20");
  // The container's process is in them.
  for (const char* c : {"memory", "cpu", "cpuset", "pids", "devices"})
    EXPECT_NE(slurp(cgroup_dir(c, id) + "/cgroup.procs").find(std::to_string(pid)), std::string::npos) << c;
  ASSERT_TRUE(wait_for_file(b.rootfs() + "/tmp/cpus"));
  EXPECT_EQ(read_trimmed(b.rootfs() + "/tmp/cpus"), "Cpus_allowed_list:\t0");

  ASSERT_EQ(b.runtime({"delete", "--force", id}).status, 0);
  for (const char* c : {"memory", "cpu", "cpuset", "pids", "devices", "freezer", "blkio"})
    EXPECT_FALSE(std::filesystem::exists(cgroup_dir(c, id))) << c << " cgroup left behind";
}

TEST(ConfigResources, PidsLimitStopsForks) {
  Bundle b;
  b.config()["linux"]["resources"]["pids"] = {{"limit", 5}};
  // The sleeps outlive the loop however slow the machine (the kernel kills them with
  // the pid namespace's init): each one holds its pid until the limit refuses a fork.
  b.set_args({"sh", "-c", "i=0; while [ $i -lt 10 ]; do sleep 1000 & i=$((i+1)); echo started $i; done"});
  auto r = b.run();
  EXPECT_NE(r.status, 0) << r.out;
  EXPECT_NE(r.err.find("can't fork"), std::string::npos) << r.err;
  // sh is one of the 5: at most 4 sleeps.
  EXPECT_NE(r.out.find("started 4\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("started 5\n"), std::string::npos) << r.out;

  // Without the limit all ten start.
  b.config()["linux"]["resources"].erase("pids");
  b.set_args({"sh", "-c", "i=0; while [ $i -lt 10 ]; do sleep 1 & i=$((i+1)); done; echo all-started"});
  r = b.run();
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "all-started\n");
}

TEST(ConfigResources, MemoryLimitOomKills) {
  Bundle b;
  b.config()["linux"]["resources"]["memory"] = {{"limit", 16 << 20}, {"swap", 16 << 20}};
  // /dev/shm is a tmpfs: its pages are charged to the container's memory
  // cgroup and cannot be reclaimed without swap. dd is made the OOM victim.
  b.set_args({"sh", "-c",
              "(echo 1000 > /proc/self/oom_score_adj; exec dd if=/dev/zero of=/dev/shm/x bs=1M count=64 2>/dev/null); "
              "echo rc=$? > /tmp/dd-rc; sleep 30"});
  std::string id = b.unique_id("oom");
  ASSERT_GT(run_detached(b, id), 0);
  ASSERT_TRUE(wait_for_file(b.rootfs() + "/tmp/dd-rc"));
  EXPECT_EQ(read_trimmed(b.rootfs() + "/tmp/dd-rc"), "rc=137") << "dd was not SIGKILLed";
  std::string oom = slurp(cgroup_dir("memory", id) + "/memory.oom_control");
  EXPECT_NE(oom.find("oom_kill 1"), std::string::npos) << oom;
  auto ev = b.runtime({"events", "--stats", id});
  ASSERT_EQ(ev.status, 0) << ev.err;
  auto e = json::parse(ev.out);
  EXPECT_EQ(e["data"]["memory"]["usage"]["limit"].get<uint64_t>(), 16u << 20) << ev.out;
  // It reached the limit (failcnt is not counted by every kernel).
  EXPECT_EQ(e["data"]["memory"]["usage"]["max"].get<uint64_t>(), 16u << 20) << ev.out;
  b.runtime({"delete", "--force", id});

  // In the foreground, dd as the container's process: killed, 128+9.
  b.set_args({"dd", "if=/dev/zero", "of=/dev/shm/x", "bs=1M", "count=64"});
  auto r = b.run();
  EXPECT_EQ(r.status, 137) << r.err;
}

TEST(ConfigResources, HugepageLimits) {
  Bundle b;
  std::string probe = hugetlb_dir("probe");
  if (probe.empty()) GTEST_SKIP() << "no hugetlb controller";
  if (!std::filesystem::exists("/sys/kernel/mm/hugepages/hugepages-2048kB")) GTEST_SKIP() << "no 2MB pages";
  b.config()["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2MB"}, {"limit", 4 << 20}}};
  b.set_args({"sleep", "30"});
  std::string id = b.unique_id("huge");
  ASSERT_GT(run_detached(b, id), 0);
  std::string dir = hugetlb_dir(id);
  bool v2 = dir.find("/unified/") != std::string::npos || dir.rfind("/sys/fs/cgroup/berth/", 0) == 0;
  EXPECT_EQ(read_trimmed(dir + (v2 ? "/hugetlb.2MB.max" : "/hugetlb.2MB.limit_in_bytes")), std::to_string(4 << 20));
  b.runtime({"delete", "--force", id});
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(ConfigResources, BlkioWeight) {
  // The weight files exist only below the root cgroup: look in a probe one.
  std::string probe = "/sys/fs/cgroup/blkio/berth-probe-" + std::to_string(getpid());
  if (::mkdir(probe.c_str(), 0755) != 0) GTEST_SKIP() << "no blkio hierarchy";
  bool cfq = std::filesystem::exists(probe + "/blkio.weight");
  bool bfq = std::filesystem::exists(probe + "/blkio.bfq.weight");
  ::rmdir(probe.c_str());
  if (!cfq && !bfq) GTEST_SKIP() << "no blkio.weight (no CFQ/BFQ scheduler) on this host";
  Bundle b;
  b.config()["linux"]["resources"]["blockIO"] = {{"weight", 300}};
  b.set_args({"sleep", "30"});
  std::string id = b.unique_id("blkio");
  ASSERT_GT(run_detached(b, id), 0);
  std::string w = read_trimmed(cgroup_dir("blkio", id) + (cfq ? "/blkio.weight" : "/blkio.bfq.weight"));
  EXPECT_NE(w.find("300"), std::string::npos) << w;
  b.runtime({"delete", "--force", id});
}

TEST(ConfigResources, CgroupsPathIsHonoured) {
  Bundle b;
  std::string id = b.unique_id("cgp");
  b.config()["linux"]["cgroupsPath"] = "/berth-config-test/" + id;
  b.config()["linux"]["resources"]["pids"] = {{"limit", 7}};
  b.set_args({"sleep", "30"});
  ASSERT_GT(run_detached(b, id), 0);
  EXPECT_EQ(read_trimmed("/sys/fs/cgroup/pids/berth-config-test/" + id + "/pids.max"), "7");
  EXPECT_FALSE(std::filesystem::exists(cgroup_dir("pids", id)));
  b.runtime({"delete", "--force", id});
  EXPECT_FALSE(std::filesystem::exists("/sys/fs/cgroup/pids/berth-config-test/" + id));
  for (const char* c : {"memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio", "systemd"})
    ::rmdir(("/sys/fs/cgroup/" + std::string(c) + "/berth-config-test").c_str());
  ::rmdir("/sys/fs/cgroup/unified/berth-config-test");
}

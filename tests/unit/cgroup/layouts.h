// Fake hosts for the cgroup unit tests: v1 (cpu and cpuacct separate or
// co-mounted), hybrid (v1 plus a cgroup2 holding hugetlb) and pure v2.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "fake_cgroupfs.h"
#include "runtime/cgroup/manager.h"

namespace berth::test {

inline std::string mount_line(int id, const std::string& mountpoint, const std::string& fstype,
                              const std::string& super) {
  return std::to_string(id) + " 31 0:" + std::to_string(id) + " / " + mountpoint + " rw,relatime - " + fstype +
         " " + fstype + " " + super + "\n";
}

inline void add_v1_hierarchies(FakeCgroupFs& fs, bool comount_cpu, std::string& mountinfo, std::string& self) {
  const std::string base = "cgroup/";
  auto cg = [&](const std::string& name, const std::map<std::string, std::string>& files) {
    auto all = files;
    all["cgroup.procs"] = "";
    fs.add_dir(base + name, all);
  };
  std::map<std::string, std::string> cpu = {{"cpu.shares", "1024"},        {"cpu.cfs_period_us", "100000"},
                                            {"cpu.cfs_quota_us", "-1"},    {"cpu.cfs_burst_us", "0"},
                                            {"cpu.rt_period_us", "1000000"}, {"cpu.rt_runtime_us", "0"},
                                            {"cpu.idle", "0"},
                                            {"cpu.stat", "nr_periods 7\nnr_throttled 2\nthrottled_time 900\n"}};
  std::map<std::string, std::string> cpuacct = {{"cpuacct.usage", "5000"},
                                                {"cpuacct.usage_percpu", "3000 2000 \n"},
                                                {"cpuacct.stat", "user 3\nsystem 1\n"}};
  if (comount_cpu) {
    auto both = cpu;
    both.insert(cpuacct.begin(), cpuacct.end());
    cg("cpu,cpuacct", both);
    mountinfo += mount_line(32, fs.path(base + "cpu,cpuacct"), "cgroup", "rw,cpu,cpuacct");
    self += "2:cpu,cpuacct:/\n";
  } else {
    cg("cpu", cpu);
    cg("cpuacct", cpuacct);
    mountinfo += mount_line(32, fs.path(base + "cpu"), "cgroup", "rw,cpu");
    mountinfo += mount_line(33, fs.path(base + "cpuacct"), "cgroup", "rw,cpuacct");
    self += "1:cpu:/\n2:cpuacct:/\n";
  }
  cg("cpuset", {{"cpuset.cpus", "0-3"}, {"cpuset.mems", "0"}});
  std::string huge = "9223372036854771712";
  cg("memory", {{"memory.limit_in_bytes", huge}, {"memory.memsw.limit_in_bytes", huge},
                {"memory.soft_limit_in_bytes", huge}, {"memory.swappiness", "60"},
                {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"},
                {"memory.usage_in_bytes", "4096"}, {"memory.max_usage_in_bytes", "8192"},
                {"memory.failcnt", "1"}, {"memory.stat", "cache 100\nrss 200\n"}});
  cg("pids", {{"pids.max", "max"}, {"pids.current", "0"}});
  cg("devices", {{"devices.allow", ""}, {"devices.deny", ""}, {"devices.list", "a *:* rwm\n"}});
  cg("freezer", {{"freezer.state", "THAWED"}});
  cg("blkio", {{"blkio.weight", "500"}, {"blkio.weight_device", ""}, {"blkio.throttle.read_bps_device", ""},
               {"blkio.throttle.write_bps_device", ""}, {"blkio.throttle.read_iops_device", ""},
               {"blkio.throttle.write_iops_device", ""}});
  cg("systemd", {});
  int id = 34;
  for (const char* c : {"cpuset", "memory", "pids", "devices", "freezer", "blkio"})
    mountinfo += mount_line(id++, fs.path(base + c), "cgroup", std::string("rw,") + c);
  mountinfo += mount_line(id++, fs.path(base + "systemd"), "cgroup", "rw,xattr,name=systemd");
  // The runtime itself sits in a memory sub-cgroup (like this host's /process_api/...).
  fs.add_dir(base + "memory/process_api/self", {{"cgroup.procs", ""}, {"memory.limit_in_bytes", huge}});
  self += "3:cpuset:/\n4:memory:/process_api/self\n5:pids:/\n6:devices:/\n7:freezer:/\n8:blkio:/\n"
          "9:name=systemd:/\n";
  // Listed but not mounted in this mount namespace: must be ignored.
  self += "10:perf_event:/\n";
}

inline runtime::cgroup::Layout detect_fake(FakeCgroupFs& fs, const std::string& mountinfo,
                                           const std::string& self) {
  auto layout = runtime::cgroup::detect_layout(fs.write_file("mountinfo", mountinfo),
                                               fs.write_file("self_cgroup", self));
  EXPECT_TRUE(layout) << layout.error().str();
  return layout ? *layout : runtime::cgroup::Layout{};
}

inline runtime::cgroup::Layout fake_v1(FakeCgroupFs& fs, bool comount_cpu = false) {
  std::string mountinfo = mount_line(31, fs.path("cgroup"), "tmpfs", "rw,mode=755"), self;
  add_v1_hierarchies(fs, comount_cpu, mountinfo, self);
  return detect_fake(fs, mountinfo, self);
}

inline runtime::cgroup::Layout fake_hybrid(FakeCgroupFs& fs) {
  std::string mountinfo, self;
  add_v1_hierarchies(fs, false, mountinfo, self);
  fs.add_dir("cgroup/unified", {{"cgroup.controllers", "hugetlb"}, {"cgroup.subtree_control", ""},
                                {"cgroup.procs", ""}, {"hugetlb.2MB.max", "max"}, {"hugetlb.1GB.max", "max"},
                                {"hugetlb.2MB.current", "0"}, {"hugetlb.2MB.events", "max 0\n"},
                                {"cgroup.freeze", "0"}, {"cgroup.events", "populated 0\nfrozen 0\n"}});
  mountinfo += mount_line(50, fs.path("cgroup/unified"), "cgroup2", "rw,nsdelegate");
  self += "0::/\n";
  return detect_fake(fs, mountinfo, self);
}

inline runtime::cgroup::Layout fake_v2(FakeCgroupFs& fs) {
  std::string huge = "max";
  fs.add_dir("cg2", {{"cgroup.controllers", "cpuset cpu io memory hugetlb pids"},
                     {"cgroup.subtree_control", ""},
                     {"cgroup.procs", ""},
                     {"cgroup.freeze", "0"},
                     {"cgroup.events", "populated 0\nfrozen 0\n"},
                     {"cpu.weight", "100"},
                     {"cpu.max", "max 100000"},
                     {"cpu.max.burst", "0"},
                     {"cpu.stat", "usage_usec 10\nuser_usec 6\nsystem_usec 4\nnr_periods 3\nnr_throttled 1\n"
                                  "throttled_usec 2\n"},
                     {"cpuset.cpus", ""},
                     {"cpuset.mems", ""},
                     {"io.weight", "default 100"},
                     {"io.max", ""},
                     {"io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n"},
                     {"memory.max", "max"},
                     {"memory.low", "0"},
                     {"memory.high", "max"},
                     {"memory.swap.max", "max"},
                     {"memory.current", "4096"},
                     {"memory.swap.current", "0"},
                     {"memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n"},
                     {"memory.stat", "anon 100\nfile 200\n"},
                     {"pids.max", "max"},
                     {"pids.current", "1"},
                     {"hugetlb.2MB.max", "max"}});
  // The runtime runs in /user.slice/session: relative paths land below it.
  fs.add_dir("cg2/user.slice/session", {{"cgroup.procs", ""}});
  std::string mountinfo = mount_line(30, fs.path("cg2"), "cgroup2", "rw,nsdelegate,memory_recursiveprot");
  return detect_fake(fs, mountinfo, "0::/user.slice/session\n");
}

}  // namespace berth::test
